"""Training documents: the certificate (one, or all of an event's in one background download)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from psm_portal.background import Built, DocumentError, builder
from psm_portal.office import current_office, format_nip, indonesian_date
from psm_portal.pdf import merge_pdf, public_url, qr_svg_data_uri, render_document
from registry.models import StatusPsm
from registry.selectors import statuses_on
from training.access import can_manage, events_visible_to
from training.models import Peserta, StatusPeserta

CERTIFICATE_TEMPLATE = "pdf/training_certificate.html"
BUNDLE = "training.sertifikat"


def certificate_context(enrolment: Peserta, office) -> dict:
    event = enrolment.event
    verify = public_url(reverse("training:certificate-verify", args=[enrolment.kode_sertifikat]))
    psm = enrolment.psm
    return {
        "kantor": office,
        "peserta": enrolment,
        # Bimtek dasar comes before appointment: a candidate then is not called a PSM
        # (Permensos 10/2019, appointed by SK). As the event ended, by the status history.
        "calon": statuses_on([psm.pk], event.tanggal_selesai).get(psm.pk, psm.status)
        == StatusPsm.CALON,
        "event": event,
        "tanggal_mulai": indonesian_date(event.tanggal_mulai),
        "tanggal_selesai": indonesian_date(event.tanggal_selesai),
        "qr": qr_svg_data_uri(verify),
        "verify_url": verify,
        "nip": format_nip(office.penandatangan_nip) if office else "",
        "tempat": office.kota_surat if office else "",
    }


def graduates(event):
    """Valid certificates of an event, in certificate-number order."""
    return (
        Peserta.objects.filter(event=event, status=StatusPeserta.LULUS, sertifikat_dicabut=False)
        .exclude(nomor_sertifikat="")
        .select_related("event", "psm__desa_tugas")
        .order_by("nomor_sertifikat", "pk")
    )


def _managed_event(user, document):
    """The bundle's event if ``user`` may still manage it, else None."""
    event = events_visible_to(user).filter(pk=document.params.get("event")).first()
    return event if event is not None and can_manage(user, event) else None


def _still_manages(user, document) -> bool:
    """Asked at every download: the bundle names the event's graduates."""
    return _managed_event(user, document) is not None


@builder(BUNDLE, may_download=_still_manages)
def certificates_bundle(document, progress) -> Built:
    """Every valid certificate of one event as one PDF, rendered one by one for the progress bar
    (WeasyPrint lays out a few pages a second)."""
    user = document.diminta_oleh
    event = _managed_event(user, document)
    if event is None:
        raise DocumentError(_("Anda tidak lagi berwenang atas kegiatan ini."))
    people = list(graduates(event))
    if not people:
        raise DocumentError(_("Belum ada sertifikat yang berlaku untuk kegiatan ini."))
    progress.start(len(people))
    office = current_office()
    rendered = []
    for enrolment in people:
        context = certificate_context(enrolment, office)
        rendered.append(render_document(CERTIFICATE_TEMPLATE, context))
        progress.step()
    return Built(merge_pdf(rendered), f"sertifikat-kegiatan-{event.pk}.pdf")
