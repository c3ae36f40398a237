"""portlint: find and fix CUDA-only PyTorch code.

Pipeline: discover files -> read and prefilter -> parse once (``ast``) -> match every
rule from one index -> findings -> reporters or the fixer.
"""

__version__ = "0.1.0"
