"""`ztb review`: a pull-request comment from `pulumi preview --json`. No tenant, no Pulumi CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import click

from ztb.cli.base import ZtbCommand
from ztb.cli.exit_codes import EXIT_ERROR, EXIT_OK, EXIT_WEAKENS
from ztb.errors import ZtbError

if TYPE_CHECKING:
    from ztb.review.result import Review


def _read(preview: str) -> tuple[bytes, str]:
    """The preview's bytes (at most one past the size limit: /dev/zero costs the limit) and its name."""
    from ztb.inputfile import read_bytes
    from ztb.review.preview import MAX_PREVIEW_BYTES

    try:
        return read_bytes(preview, MAX_PREVIEW_BYTES), "stdin" if preview == "-" else preview
    except FileNotFoundError:
        raise ZtbError(f"{preview}: no such file; write it with `pulumi preview --json > {preview}`") from None
    except IsADirectoryError:
        raise ZtbError(f"{preview}: is a directory; pass the file `pulumi preview --json` wrote") from None
    except OSError as e:
        raise ZtbError(f"{preview}: cannot read ({e.strerror}); pass a readable file or - for stdin") from None


def exit_code(result: Review, fail_on: Optional[str]) -> int:
    """With ``--fail-on weakens``: 1 when the preview cannot be vouched for (whatever else it holds),
    3 when one of the pull request's own changes weakens security, else 0. Drift the pull request
    reverts is reported, not counted; drift it keeps is its change. Without --fail-on: 0."""
    if fail_on != "weakens":
        return EXIT_OK
    if result.cannot_vouch:
        return EXIT_ERROR
    return EXIT_WEAKENS if result.weakening else EXIT_OK


@click.command(cls=ZtbCommand)
@click.argument("preview", metavar="PREVIEW.json")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="Stack config (Pulumi.<stack>.yaml) for control titles and the emergency-access IDs "
                   "[default: the config the preview ran with].")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--fail-on", "fail_on", type=click.Choice(["weakens"]), default=None,
              help="Exit 3 when a change of the pull request weakens security, 1 when the preview cannot be "
                   "vouched for (for a required pull-request check).")
def command(preview: str, config_path: Optional[str], fmt: str, fail_on: Optional[str]) -> None:
    """Review a `pulumi preview --json` of the baseline: every change with its control, in words,
    and whether it weakens security; weakening changes first, deletions of controls called out,
    drift found by `pulumi preview --refresh` apart.

    PREVIEW.json is the file `pulumi preview --json` wrote, or - for stdin. Exit 0; with
    --fail-on weakens, 3 when a change of the pull request weakens security and 1 when the
    preview cannot be vouched for (it failed, steps are missing, it is of another project, or
    its stack config cannot be read). 1 when the input is not a preview.

    \b
    Example:
        pulumi preview --json > preview.json
        ztb review preview.json --config Pulumi.prod.yaml --fail-on weakens
    """
    from ztb.cli.options import load_baseline
    from ztb.review import preview as preview_doc
    from ztb.review import render as review_render
    from ztb.review.judge import review
    from ztb.review.stack import read_config

    data, source = _read(preview)
    doc = preview_doc.load_preview(preview_doc.decode_preview(data, source), source)
    if config_path:
        baseline, note, unusable = load_baseline(config_path), None, None
    else:
        read = read_config(doc)
        baseline, note, unusable = read.baseline, read.note, read.unusable
    result = review(doc, baseline, note, unusable)
    if fmt == "json":
        click.echo(review_render.to_json(result))
    else:
        click.echo(review_render.to_markdown(result), nl=False)
    code = exit_code(result, fail_on)
    if code == EXIT_ERROR:
        # The comment above says why in full; the check's log gets one line.
        raise ZtbError("cannot vouch for this preview: " + "; ".join(result.cannot_vouch).replace("\n", " "))
    if code != EXIT_OK:
        raise click.exceptions.Exit(code)
