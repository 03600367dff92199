"""`ztb review`: a pull-request comment from `pulumi preview --json`. No tenant, no Pulumi CLI."""

from __future__ import annotations

from typing import Optional

import click

from ..errors import EXIT_OK, ZtbError


def _read(preview: str) -> tuple[str, str]:
    if preview == "-":
        return click.get_text_stream("stdin").read(), "stdin"
    try:
        with open(preview, encoding="utf-8") as f:
            return f.read(), preview
    except FileNotFoundError:
        raise ZtbError(f"{preview}: no such file; write it with `pulumi preview --json > {preview}`") from None
    except IsADirectoryError:
        raise ZtbError(f"{preview}: is a directory; pass the file `pulumi preview --json` wrote") from None
    except UnicodeDecodeError:
        raise ZtbError(f"{preview}: not UTF-8 text; pass the stdout of `pulumi preview --json`") from None
    except OSError as e:
        raise ZtbError(f"{preview}: cannot read ({e.strerror}); pass a readable file or - for stdin") from None


@click.command()
@click.argument("preview", metavar="PREVIEW.json")
@click.option("--config", "config_path", default=None, type=click.Path(dir_okay=False),
              help="Stack config (Pulumi.<stack>.yaml) for control titles and the emergency-access IDs "
                   "[default: the config the preview ran with].")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--fail-on", "fail_on", type=click.Choice(["weakens"]), default=None,
              help="Exit 3 when any change weakens security (for a required pull-request check).")
def command(preview: str, config_path: Optional[str], fmt: str, fail_on: Optional[str]) -> None:
    """Review a `pulumi preview --json` of the baseline: every change with its control, in words,
    and whether it weakens security; weakening changes first, deletions of controls called out.

    PREVIEW.json is the file `pulumi preview --json` wrote, or - for stdin. Exit 0, or 3 with
    --fail-on weakens when a change weakens security; 1 when the input is not a preview.

    \b
    Example:
        pulumi preview --json > preview.json
        ztb review preview.json --config Pulumi.prod.yaml --fail-on weakens
    """
    from .. import preview as preview_doc
    from .. import review as rv
    from .. import review_render
    from ..options import load_baseline

    text, source = _read(preview)
    try:
        doc = preview_doc.load_preview(text, source)
    except preview_doc.PreviewError as e:
        raise ZtbError(str(e)) from None
    if config_path:
        baseline, note = load_baseline(config_path), None
    else:
        baseline, note = rv.baseline_from_preview(doc)
    result = rv.review(doc, baseline, note)
    if fmt == "json":
        click.echo(review_render.to_json(result))
    else:
        click.echo(review_render.to_markdown(result), nl=False)
    code = rv.exit_code(result, fail_on)
    if code != EXIT_OK:
        raise click.exceptions.Exit(code)
