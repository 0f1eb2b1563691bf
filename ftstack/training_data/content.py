"""Checks of a message's `content` when it is a list of parts: text and images."""

from __future__ import annotations

import binascii

from ftstack.training_data.context import CheckContext, ExampleTally
from ftstack.training_data.findings import Code
from ftstack.training_data.json_names import json_literal


def check_parts(parts: list[object], role: str, where: str, ctx: CheckContext, tally: ExampleTally) -> int:
    """Check a list of content parts; returns their tokens (images at the rules' per-image estimate)."""
    tokens = 0
    if not parts:
        tally.error(Code.MISSING_CONTENT, f"{where} content is an empty list")
        return 0
    for j, part in enumerate(parts):
        here = f"{where} content[{j}]"
        if not isinstance(part, dict):
            tally.error(Code.INVALID_CONTENT, f'{here} is not an object; expected {{"type": "text", ...}}')
            continue
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                tally.error(Code.INVALID_CONTENT, f'{here} of type text has no string "text"')
                continue
            tokens += ctx.count(text)
        elif kind == "image_url":
            tokens += _check_image(part, role, here, ctx, tally)
        else:
            tally.error(
                Code.INVALID_CONTENT, f'{here} has type {json_literal(kind)}; expected "text" or "image_url"'
            )
    return tokens


def _check_image(
    part: dict[str, object], role: str, where: str, ctx: CheckContext, tally: ExampleTally
) -> int:
    rules = ctx.rules
    tally.images += 1
    if role == "assistant":
        tally.error(Code.IMAGE_IN_ASSISTANT_MESSAGE, f"{where}: assistant messages cannot contain images")
        return 0
    if role != "user":
        tally.error(Code.INVALID_CONTENT, f"{where}: images are allowed only in user messages, not {role}")
        return 0
    if not ctx.settings.vision:
        if tally.images == 1:  # once per example is enough to say the model takes no images
            tally.error(
                Code.IMAGES_NOT_SUPPORTED,
                f"{where} is an image, and this model does not accept images; "
                "use a vision model (see `ftstack matrix list`, modality text-and-vision-to-text)",
            )
        return 0
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(image, dict) or not isinstance(url, str):
        tally.error(Code.INVALID_IMAGE, f'{where} needs "image_url": {{"url": ...}}')
        return 0
    detail = image.get("detail", "auto")
    if detail not in rules.image_details:
        tally.error(
            Code.INVALID_IMAGE,
            f"{where} detail {json_literal(detail)}; expected one of {', '.join(rules.image_details)}",
        )
    if url.startswith("data:"):
        header, sep, payload = url.partition(",")
        media_type = header[5:].split(";", 1)[0]
        if not sep or not header.endswith(";base64"):
            tally.error(Code.INVALID_IMAGE, f"{where} data URI must be data:<media type>;base64,<data>")
        elif media_type not in rules.image_media_types:
            tally.error(
                Code.INVALID_IMAGE,
                f"{where} has media type {json_literal(media_type or 'none')}; "
                f"allowed: {', '.join(rules.image_media_types)}",
            )
        elif len(payload) * 3 // 4 > rules.max_image_bytes:
            # too large by its length alone: no need to decode it
            tally.error(
                Code.IMAGE_TOO_LARGE,
                f"{where} is about {len(payload) * 3 // 4:,} bytes; at most {rules.max_image_bytes:,} per image",
            )
        else:
            _check_base64(payload, where, tally)
    elif not url.startswith(("https://", "http://")):
        tally.error(Code.INVALID_IMAGE, f"{where} url must be an http(s) URL or a base64 data URI")
    return rules.low_detail_image_tokens if detail == "low" else rules.high_detail_image_tokens


def _check_base64(payload: str, where: str, tally: ExampleTally) -> None:
    # strict: characters outside the alphabet or data after the padding are errors, as a decoder that
    # is not lenient (the service's) would find them
    if not payload:
        tally.error(Code.INVALID_IMAGE_DATA, f"{where} data URI has no image data after the comma")
        return
    try:
        binascii.a2b_base64(payload, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        tally.error(
            Code.INVALID_IMAGE_DATA,
            f"{where} data URI payload is not valid base64 ({exc}); re-encode the image",
        )
