"""The outbox bar and the texts static/js/offline.js shows, rendered on every page of a PSM.

Pages stay server-rendered: the markup and every word are here (translated like any template);
the script only fills in the list and the counts."""

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from psm_portal.models import Role

register = template.Library()

# The pages a PSM needs in the field, warmed into the phone's cache after login. A URL name
# that does not exist (an app not installed) is skipped.
FIELD_PAGES = [
    "assessments:case-list",
    "assessments:case-create",
    "registry:activity-create",
    "registry:activity-list",  # the activity form's way back ("Kegiatan saya")
    "privacy",  # the case form's consent text links to it, out in the field too
]


def _field_pages() -> list[str]:
    urls = []
    for name in FIELD_PAGES:
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls


def texts() -> dict[str, str]:
    return {
        "menunggu": _("Menunggu"),
        "mengirim": _("Mengirim…"),
        "terkirim": _("Terkirim"),
        "konflik": _("Konflik"),
        "perlu_diperbaiki": _("Perlu diperbaiki"),
        "ditolak": _("Ditolak"),
        "perlu_masuk": _("Perlu masuk lagi"),
        "ringkas_kosong": _("tidak ada yang menunggu"),
        "ringkas": _("%(n)s menunggu"),
        "ringkas_tindakan": _("%(n)s perlu tindakan Anda"),
        "daring": _("Ada sinyal"),
        "luring": _("Tanpa sinyal"),
        "coba_lagi": _("Dicoba lagi pukul %(jam)s"),
        "percobaan": _("percobaan ke-%(n)s"),
        "tanpa_sinyal": _("Tidak ada sinyal."),
        "server_galat": _("Server sedang bermasalah (%(kode)s)."),
        "sesi_habis": _("Sesi Anda berakhir. Masuk lagi; kiriman tetap tersimpan."),
        "masuk": _("Masuk lagi"),
        "lihat_server": _("Lihat versi server"),
        "buang": _("Buang salinan saya"),
        "tetap_kirim": _("Tetap kirim salinan saya"),
        "buka_formulir": _("Buka formulir"),
        "lihat": _("Lihat"),
        "buang_konfirmasi": _("Buang kiriman ini dari perangkat? Isinya tidak dapat dikembalikan."),
        "tersimpan_perangkat": _("Tersimpan di perangkat pukul %(jam)s."),
        "draf_dipulihkan": _(
            "Draf yang tersimpan di perangkat ini dipulihkan (disimpan %(waktu)s)."
        ),
        "draf_perlu_diperbaiki": _(
            "Isian Anda (beserta fotonya, bila ada) tetap tersimpan di perangkat ini sampai "
            "terkirim."
        ),
        "buang_draf": _("Buang draf ini"),
        "buang_draf_konfirmasi": _(
            "Buang isian formulir ini (beserta fotonya) dari perangkat? Isinya tidak dapat "
            "dikembalikan."
        ),
        "diminta_perbaiki": _("Server meminta perbaikan ini saat formulir dikirim:"),
        "identitas_draf_terkunci": _(
            "Identitas subjek yang Anda ketik di draf ini tidak dipakai lagi: identitas subjek "
            "ini sudah diperiksa dinas. Bila ada yang salah, minta staf dinas mengoreksinya."
        ),
        "masuk_antrean": _(
            "Formulir tersimpan di kotak keluar dan akan dikirim otomatis begitu ada sinyal. "
            "Tidak perlu memuat ulang halaman."
        ),
        "terkirim_dari_sini": _("Formulir ini sudah terkirim ke server."),
        "perlu_keputusan_di_sini": _(
            "Formulir ini belum terkirim: server memintanya diperbaiki atau diputuskan. Lihat "
            "kotak keluar di atas."
        ),
        "isi_baru": _("Isi formulir baru"),
        "mengirim_sekarang": _("Mengirim…"),
        "keluar_konfirmasi": _(
            "Masih ada %(n)s kiriman di kotak keluar yang belum terkirim. Keluar akan "
            "menghapusnya dari perangkat ini. Tetap keluar?"
        ),
        "keluar_butuh_sinyal": _(
            "Keluar butuh sinyal: server tidak terjangkau, jadi Anda belum keluar dan isi "
            "perangkat ini tidak dihapus. Coba lagi saat ada sinyal."
        ),
        "draf_perangkat": _("Draf di perangkat ini"),
        "lanjutkan": _("Lanjutkan"),
        "foto_tersimpan": _("%(n)s foto siap dikirim (sudah diperkecil)."),
        "disimpan": _("disimpan %(waktu)s"),
        "sinkron_terakhir": _("Terakhir tersambung ke server pukul %(jam)s."),
        "tanpa_judul": _("Formulir"),
    }


@register.inclusion_tag("offline/outbox.html", takes_context=True)
def offline_outbox(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.role == Role.PSM):
        return {"show": False}
    # No query here: this is on every PSM page. The office's draft period reaches the phone
    # with the outbox's check-in (assessments.views.device_sync).
    return {
        "show": True,
        "user_id": user.pk,
        "pages": _field_pages(),
        "texts": texts(),
    }
