"""Personal-data helpers shared by every app (UU 27/2022)."""


def mask_nik(nik: str) -> str:
    """3174**********01: enough to tell two people apart on a list, not enough to use."""
    if not nik:
        return ""
    return f"{nik[:4]}{'*' * (len(nik) - 6)}{nik[-2:]}"
