"""Synthesis orchestration: which stacks to build or reuse, in which processes, and the merge.

The app (`stacks/`) knows how to build stacks from a catalog; this room decides how much of
it to build. A stack whose inputs are unchanged is taken from the previous, reviewed output;
what must be built is built in one process or, when it is much, in several; the result is
merged into one output that is byte-identical to a full synthesis, and swapped into place.
"""
