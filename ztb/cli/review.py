"""`ztb review`: a pull-request comment from `pulumi preview --json`. No tenant, no Pulumi CLI."""

from __future__ import annotations

from typing import Optional

import click

from ztb.errors import EXIT_ERROR, EXIT_OK, ZtbError


def _read(preview: str) -> tuple[bytes, str]:
    """At most one byte past the size limit, so a huge file or /dev/zero costs the limit, not the file."""
    from ztb.review.preview import MAX_PREVIEW_BYTES

    if preview == "-":
        return click.get_binary_stream("stdin").read(MAX_PREVIEW_BYTES + 1), "stdin"
    try:
        with open(preview, "rb") as f:
            return f.read(MAX_PREVIEW_BYTES + 1), preview
    except FileNotFoundError:
        raise ZtbError(f"{preview}: no such file; write it with `pulumi preview --json > {preview}`") from None
    except IsADirectoryError:
        raise ZtbError(f"{preview}: is a directory; pass the file `pulumi preview --json` wrote") from None
    except OSError as e:
        raise ZtbError(f"{preview}: cannot read ({e.strerror}); pass a readable file or - for stdin") from None


@click.command()
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
    from ztb.review import preview as preview_doc
    from ztb.review import judge as rv
    from ztb.review import render as review_render
    from ztb.cli.options import load_baseline

    data, source = _read(preview)
    try:
        doc = preview_doc.load_preview(preview_doc.decode_preview(data, source), source)
        if config_path:
            baseline, note, unusable = load_baseline(config_path), None, None
        else:
            read = rv.read_config(doc)
            baseline, note, unusable = read.baseline, read.note, read.unusable
        result = rv.review(doc, baseline, note, unusable)
    except preview_doc.PreviewError as e:
        raise ZtbError(str(e)) from None
    if fmt == "json":
        click.echo(review_render.to_json(result))
    else:
        click.echo(review_render.to_markdown(result), nl=False)
    code = rv.exit_code(result, fail_on)
    if code == EXIT_ERROR:
        # The comment above says why in full; the check's log gets one line.
        raise ZtbError("cannot vouch for this preview: " + "; ".join(result.cannot_vouch).replace("\n", " "))
    if code != EXIT_OK:
        raise click.exceptions.Exit(code)
