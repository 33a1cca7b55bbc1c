"""Export: the file formats archives and editing software read."""
