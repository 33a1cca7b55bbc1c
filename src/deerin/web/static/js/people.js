import{a as o}from"./chunk-Z7SYUW4O.js";console.debug(o);
