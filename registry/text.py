"""Text normalisation shared by search and import matching."""

import re
import unicodedata


def normalise_for_search(value: str) -> str:
    """Lower-case, strip accents and collapse spaces: "  Ma’rúf " -> "ma'ruf"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", stripped).strip().lower()
