"""Image tags and embeddings: what each analysis frame shows, and a vector to find it by.

One small interface (:class:`~deerin.enrich.tags.backend.TagBackend`) with swappable
back ends, picked by the ``models.tags`` setting:

* ``efficientnet-lite0`` (the default, bundled): ImageNet-1k tags from the classifier
  and 1280-d embeddings from its pooled features. It cannot read text; for search,
  :meth:`label_embeddings` gives each ImageNet label's classifier row, a prototype
  in the image-embedding space (text → label → prototype → frames).
* any CLIP or SigLIP model (a local folder or a hub name already in the local cache),
  through ``transformers``: tags are zero-shot over the same ImageNet labels ("a photo
  of a …") and text embeds directly into the image space.

The label list (``imagenet_labels.json``) is the standard short ImageNet-1k class names
in index order; the two names WordNet repeats are told apart: 134 "crane (bird)" and
517 "crane (machine)", 638 "maillot" and 639 "tank suit", and the dog 264 is
"Cardigan Welsh corgi" beside the sweater 474 "cardigan".
"""
