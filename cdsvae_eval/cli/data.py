"""``cdsvae-eval data ...``: list, inspect, look at and synthesise datasets."""

import click

from cdsvae_eval.cli.lazy import LazyGroup


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "list": "cdsvae_eval.cli.data_commands:list_command",
        "info": "cdsvae_eval.cli.data_commands:info_command",
        "show": "cdsvae_eval.cli.data_commands:show_command",
        "synth-speech": "cdsvae_eval.cli.synth_speech:synth_speech",
    },
)
def data() -> None:
    """List, inspect and look at datasets; build the synthetic speech corpus."""
