"""cdsvae-eval: train C-DSVAE, freeze its static and dynamic codes, score them with fixed protocols.

The top-level package stays import-light so that ``cdsvae-eval --help`` starts fast; import the
sub-packages (``cdsvae_eval.data``, ``cdsvae_eval.tasks``, ...) for the API.
"""

__version__ = "0.1.0"
