"""Near-duplicates: the same pictures at another size, frame rate, crop or encode.

Archives hold the DVD and the Blu-ray of a title, a broadcast recording beside its
master, a newsreel reused in a compilation. Byte hashes (the video id) only catch
exact copies. Here every analysis frame gets a perceptual hash (:mod:`.hashes`), and
the collection step (:mod:`.groups`) compares hashes and image embeddings across the
whole collection to group shots and whole videos that show the same footage.
"""
