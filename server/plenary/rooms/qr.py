"""QR codes of join links, drawn here (segno, pure Python): no online service sees
who joins what, and the big screen works on a venue network without internet."""

from __future__ import annotations

import functools
import io

import segno


@functools.lru_cache(maxsize=256)
def qr_svg(link: str) -> str:
    """An SVG QR code of ``link`` that scales to any size without blurring. Error
    correction "M" (15%) and the standard four-module quiet zone keep it readable from
    the back of a hall on a projector, as long as it is drawn large (the screen page
    gives it a third of the screen's height)."""
    code = segno.make(link, error="m", micro=False)
    out = io.BytesIO()
    # No width/height: the page sizes it; dark on white, whatever the page's theme.
    code.save(
        out,
        kind="svg",
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        xmldecl=False,
        nl=False,
        title=link,
    )
    return out.getvalue().decode()
