"""Training pages. Thin: check access, validate, call one service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psm_portal import audit
from psm_portal.access import Perm, has_permission
from psm_portal.background import document_request
from psm_portal.office import current_office, indonesian_date, indonesian_day_and_date
from psm_portal.paging import CachedCountPaginator
from psm_portal.pdf import public_url, qr_svg_data_uri, render_pdf
from psm_portal.privacy import mask_nik
from psm_portal.spreadsheets import xlsx_response
from psm_portal.typed import keep_typed, take_typed
from registry import selectors as registry_selectors
from registry.access import get_psm_for_user, require
from registry.models import PsmBimtek, Wilayah
from training import documents, forms, selectors, services
from training.access import (
    can_manage,
    events_visible_to,
    get_enrolment_for_user,
    get_event_for_user,
)
from training.models import (
    BimtekEvent,
    HariEvent,
    Kehadiran,
    Peserta,
    StatusEvent,
    StatusPeserta,
)


def _today():
    return timezone.localdate()


@require_GET
def event_list(request):
    require(request.user, Perm.TRAINING_VIEW)
    events = (
        events_visible_to(request.user).select_related("wilayah").order_by("-tanggal_mulai", "-pk")
    )
    page = CachedCountPaginator(events, 25).get_page(request.GET.get("page"))
    # Seats counted for the page's events only (a national list has 20,000 events and 480,000
    # enrolments: grouping them all for 25 rows took 0.9 s).
    seats = (
        BimtekEvent.objects.filter(pk__in=[event.pk for event in page])
        .annotate(
            terisi=Count("peserta_set", filter=Q(peserta_set__status__in=services.SEATED)),
            menunggu=Count("peserta_set", filter=Q(peserta_set__status="menunggu")),
        )
        .values_list("pk", "terisi", "menunggu")
    )
    counts = {pk: (terisi, menunggu) for pk, terisi, menunggu in seats}
    for event in page:
        event.terisi, event.menunggu = counts.get(event.pk, (0, 0))
    return render(
        request,
        "training/event_list.html",
        {"page": page, "can_manage": has_permission(request.user, Perm.TRAINING_MANAGE)},
    )


def _wilayah_for_events(user):
    """Kab/kota and provinces a user may organise events for."""
    from psm_portal.access import region_q

    return Wilayah.objects.filter(region_q(user, "kode"), tingkat__lte=2).order_by("kode")


@require_http_methods(["GET", "POST"])
def event_create(request):
    require(request.user, Perm.TRAINING_MANAGE)
    form = forms.EventForm(request.POST or None, wilayah_qs=_wilayah_for_events(request.user))
    if request.method == "POST" and form.is_valid():
        clashes = _overlaps(form.instance)
        try:
            event = services.event_save(data=form.cleaned_data, by=request.user, today=_today())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _warn_overlaps(request, clashes)
            messages.success(request, _("Kegiatan tersimpan sebagai draf."))
            return redirect("training:event-detail", pk=event.pk)
    return render(request, "training/event_form.html", {"form": form, "event": None})


@require_http_methods(["GET", "POST"])
def event_update(request, pk):
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    if event.status in (StatusEvent.SELESAI, StatusEvent.BATAL):
        # its form opened and refused only once sent, with everything typed lost
        messages.error(request, _("Kegiatan yang sudah selesai atau batal tidak dapat diubah."))
        return redirect("training:event-detail", pk=event.pk)
    form = forms.EventForm(
        request.POST or None, instance=event, wilayah_qs=_wilayah_for_events(request.user)
    )
    if request.method == "POST" and form.is_valid():
        clashes = _overlaps(form.instance)
        try:
            services.event_save(
                event=event, data=form.cleaned_data, by=request.user, today=_today()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _warn_overlaps(request, clashes)
            messages.success(request, _("Perubahan tersimpan."))
            return redirect("training:event-detail", pk=event.pk)
    event.refresh_from_db()
    return render(request, "training/event_form.html", {"form": form, "event": event})


def _overlaps(event: BimtekEvent) -> list[BimtekEvent]:
    """Up to three live events clashing with the form's dates. Read before the save, not after
    it: a database failure at this read then left the event saved under a page saying nothing
    was, and sending again made a second draft."""
    return list(services.overlapping_events(event)[:3])


def _warn_overlaps(request, clashes: list[BimtekEvent]):
    if clashes:
        messages.warning(
            request,
            _("Perhatian: tanggalnya bertumpang tindih dengan %(e)s.")
            % {"e": ", ".join(e.judul for e in clashes)},
        )


@require_GET
def event_detail(request, pk):
    event = get_event_for_user(request.user, pk)
    enrolments = list(
        event.peserta_set.select_related("psm__desa_tugas__induk").order_by(
            "status", "antrean", "psm__nama_cari", "pk"
        )
    )
    manage = can_manage(request.user, event)
    waiting = [e for e in enrolments if e.status == StatusPeserta.MENUNGGU]
    own = None
    if request.user.psm_id:
        # A cancelled enrolment is no enrolment: the PSM may sign up again (the service allows
        # it), so the page offers the button, not "Status Anda: Batal".
        own = next(
            (
                e
                for e in enrolments
                if e.psm_id == request.user.psm_id and e.status != StatusPeserta.BATAL
            ),
            None,
        )
    context = {
        "event": event,
        "days": list(event.hari_set.order_by("tanggal")),
        "modules": list(event.modul_set.order_by("urutan", "pk")),
        "speakers": list(event.narasumber_set.order_by("pk")),
        "quotas": list(event.kuota_set.select_related("kecamatan").order_by("kecamatan__nama")),
        "seated": [e for e in enrolments if e.status in services.SEATED],
        "waiting": waiting,
        "can_manage": manage,
        "can_nominate": manage and not services.registration_problems(event, today=_today()),
        "own": own,
        # the place in the queue now: the number given on joining stays while those ahead are
        # seated or leave
        "own_position": next(
            (n for n, e in enumerate(waiting, 1) if own is not None and e.pk == own.pk), None
        ),
        # A decided result says what it was decided on (a bare "Tidak lulus" left the PSM
        # guessing whether it was the attendance or the post-test).
        "own_attendance": services.attendance_percent(own, services.attendance_days(event))
        if own and own.status in (StatusPeserta.LULUS, StatusPeserta.TIDAK_LULUS)
        else None,
        "next_statuses": [StatusEvent(s) for s in services.EVENT_TRANSITIONS[event.status]]
        if manage
        else [],
    }
    if manage and event.status == StatusEvent.SELESAI:
        failed = [e for e in context["seated"] if e.status == StatusPeserta.TIDAK_LULUS]
        if failed:
            prefetch_related_objects(failed, "kehadiran_set")
            days = services.attendance_days(event)
            for enrolment in failed:
                enrolment.alasan = services.fail_reasons(event, enrolment, days)
    if manage:
        typed = take_typed(request, f"quota-{event.pk}")
        context["quota_form"] = forms.QuotaForm(typed, event=event)
    if (
        request.user.psm_id
        and own is None
        and has_permission(request.user, Perm.TRAINING_ENROL_SELF)
    ):
        context["self_problems"] = services.enrolment_problems(
            event, request.user.psm, today=_today()
        )
    return render(request, "training/event_detail.html", context)


@require_POST
def event_status(request, pk):
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    try:
        services.event_set_status(
            event=event, status=request.POST.get("status", ""), by=request.user, today=_today()
        )
    except (ValidationError, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [_("Status tidak dikenal.")])))
    else:
        messages.success(request, _("Status kegiatan diperbarui."))
    return redirect("training:event-detail", pk=event.pk)


@require_POST
def event_quota(request, pk):
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    form = forms.QuotaForm(request.POST, event=event)
    if form.is_valid():
        try:
            services.quota_set(event=event, by=request.user, today=_today(), **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Kuota kecamatan tersimpan."))
            return redirect("training:event-detail", pk=event.pk)
    else:
        messages.error(request, _("Kuota belum tersimpan: periksa isian yang ditandai."))
    keep_typed(request, f"quota-{event.pk}", ("kecamatan", "kuota"))
    return redirect("training:event-detail", pk=event.pk)


@require_http_methods(["GET", "POST"])
def event_nominate(request, pk):
    """Staff pick PSM and candidates from the filtered registry list, one or many at once."""
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    if closed := services.registration_problems(event, today=_today()):
        # said once, before anyone is picked: five ticked on a draft event earned five identical
        # refusals, one per person
        messages.error(
            request,
            " ".join([*closed, _("Peserta dinominasikan selama pendaftaran dibuka.")]),
        )
        return redirect("training:event-detail", pk=event.pk)
    if request.method == "POST":
        ids = [i for i in request.POST.getlist("psm") if i.isascii() and i.isdigit()]
        # in the order picked (the list's order): the last seats and the waiting list's places
        # go by it, not by whatever order the database returns
        order = {int(i): n for n, i in reversed(list(enumerate(ids)))}
        people = sorted(
            registry_selectors.psm_filter(request.user, {}).qs.filter(pk__in=ids),
            key=lambda psm: order[psm.pk],
        )
        enrolments, refused = services.enrolments_create(
            event=event, people=people, by=request.user, today=_today()
        )
        seated = sum(e.status == StatusPeserta.TERDAFTAR for e in enrolments)
        waiting = sum(e.status == StatusPeserta.MENUNGGU for e in enrolments)
        if seated or waiting:
            messages.success(
                request,
                _("%(a)d didaftarkan, %(b)d masuk daftar tunggu.") % {"a": seated, "b": waiting},
            )
        for line in refused[:20]:
            messages.error(request, line)
        if not ids:
            messages.error(request, _("Pilih sedikitnya satu orang."))
        return redirect("training:event-detail", pk=event.pk)
    params = request.GET.copy()
    params.pop("q", None)
    fs = registry_selectors.psm_filter(request.user, params)
    del fs.form.fields["q"]
    enrolled = set(
        event.peserta_set.exclude(status=StatusPeserta.BATAL).values_list("psm_id", flat=True)
    )
    page = CachedCountPaginator(registry_selectors.psm_filtered_queryset(fs), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "training/event_nominate.html",
        {"event": event, "filter": fs, "page": page, "enrolled": enrolled},
    )


@require_POST
def enrol_self(request, pk):
    require(request.user, Perm.TRAINING_ENROL_SELF)
    event = get_event_for_user(request.user, pk)
    if not request.user.psm_id:
        raise PermissionDenied
    try:
        enrolment = services.enrolment_create(
            event=event, psm=request.user.psm, by=request.user, today=_today()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if enrolment.status == StatusPeserta.TERDAFTAR:
            messages.success(request, _("Anda terdaftar sebagai peserta."))
        else:
            messages.info(
                request,
                _("Kuota penuh: Anda di daftar tunggu nomor %(n)d.")
                % {"n": services.waiting_position(enrolment)},
            )
    return redirect("training:event-detail", pk=event.pk)


@require_POST
def enrolment_cancel(request, pk):
    enrolment = get_enrolment_for_user(request.user, pk)
    try:
        promoted = services.enrolment_cancel(enrolment=enrolment, by=request.user, today=_today())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Pendaftaran dibatalkan."))
        if promoted:
            messages.info(
                request, _("%(nama)s naik dari daftar tunggu.") % {"nama": promoted.psm.nama}
            )
    return redirect("training:event-detail", pk=enrolment.event_id)


def _day_for(request, pk, day_pk) -> HariEvent:
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    day = event.hari_set.filter(pk=day_pk).first()
    if day is None:
        raise Http404  # a day of another event
    return day


@require_http_methods(["GET", "POST"])
def roster(request, pk, day_pk):
    """Attendance of one day, marked on a tablet or phone (or keyed in from the paper sheet)."""
    day = _day_for(request, pk, day_pk)
    event = day.event
    enrolments = list(
        event.peserta_set.filter(status__in=services.SEATED)
        .select_related("psm__desa_tugas")
        .order_by("psm__nama_cari", "pk")
    )
    marks = dict(Kehadiran.objects.filter(hari=day).values_list("peserta_id", "status"))
    form_class = forms.roster_form_class(enrolments)
    form = form_class(
        request.POST or None, initial={f"p{pid}": status for pid, status in marks.items()}
    )
    if request.method == "POST" and form.is_valid():
        chosen = {int(k[1:]): v for k, v in form.cleaned_data.items() if v}
        try:
            saved = services.attendance_mark(
                hari=day, marks=chosen, by=request.user, today=_today()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Kehadiran %(n)d peserta tersimpan.") % {"n": saved})
            return redirect("training:roster", pk=event.pk, day_pk=day.pk)
    checkin_url = public_url(reverse("training:checkin", args=[day.token_checkin]))
    rows = [(e, form[f"p{e.pk}"]) for e in enrolments]
    return render(
        request,
        "training/roster.html",
        {
            "event": event,
            "day": day,
            "form": form,
            "rows": rows,
            "qr": qr_svg_data_uri(checkin_url),
            "checkin_url": checkin_url,
            "locked": services.results_locked(event),
        },
    )


@require_GET
def attendance_sheet_pdf(request, pk, day_pk):
    """The printable daftar hadir with a signature column, for rooms without connectivity."""
    day = _day_for(request, pk, day_pk)
    enrolments = (
        day.event.peserta_set.filter(status__in=services.SEATED)
        .select_related("psm__desa_tugas")
        .order_by("psm__nama_cari", "pk")
    )
    audit.record(
        by=request.user,
        action="event.export",
        target=day.event,
        after={"format": "daftar-hadir", "hari": str(day.tanggal)},
    )
    office = current_office()
    pdf = render_pdf(
        "pdf/training_attendance.html",
        {
            "kantor": office,
            "event": day.event,
            "day": day,
            "tanggal": indonesian_day_and_date(day.tanggal),
            "rows": [(e, mask_nik(e.psm.nik)) for e in enrolments],
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="daftar-hadir-{day.tanggal}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def scores(request, pk):
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    enrolments = list(
        event.peserta_set.filter(status__in=services.SEATED)
        .select_related("psm")
        .order_by("psm__nama_cari", "pk")
    )
    initial = {}
    for e in enrolments:
        initial[f"pre{e.pk}"], initial[f"post{e.pk}"] = e.nilai_pre, e.nilai_post
    form = forms.scores_form_class(enrolments)(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        scores = [
            (e, form.cleaned_data[f"pre{e.pk}"], form.cleaned_data[f"post{e.pk}"])
            for e in enrolments
        ]
        try:
            services.scores_set_all(event=event, scores=scores, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Nilai tersimpan."))
            return redirect("training:event-detail", pk=event.pk)
    rows = [(e, form[f"pre{e.pk}"], form[f"post{e.pk}"]) for e in enrolments]
    return render(
        request,
        "training/scores.html",
        {"event": event, "form": form, "rows": rows, "locked": services.results_locked(event)},
    )


@require_POST
def event_complete(request, pk):
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    try:
        result = services.event_complete(
            event=event,
            by=request.user,
            today=_today(),
            confirmed=request.POST.get("kehadiran_kosong", "")[:64],
        )
    except services.UnmarkedAttendance as refused:
        # Completing is final: who has no mark on a day, and which days have none at all, are
        # shown, and counted absent or not held only once the office says so (a participant
        # present on 2 of 3 days failed, unseen); if the list changed since, it is shown again.
        return render(
            request,
            "training/event_complete_confirm.html",
            {"event": event, "check": refused},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "Kegiatan selesai: %(lulus)d lulus, %(tidak_lulus)d tidak lulus. Kehadiran "
                "dihitung dari %(hari_presensi)d hari yang presensinya dicatat."
            )
            % result,
        )
    return redirect("training:event-detail", pk=event.pk)


@require_GET
def certificate_pdf(request, pk):
    enrolment = get_enrolment_for_user(request.user, pk)
    if (
        enrolment.status != StatusPeserta.LULUS
        or not enrolment.nomor_sertifikat
        or enrolment.sertifikat_dicabut  # a revoked certificate is not printed again
    ):
        raise Http404
    pdf = render_pdf(
        documents.CERTIFICATE_TEMPLATE, documents.certificate_context(enrolment, current_office())
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sertifikat-{enrolment.pk}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def certificate_revoke(request, pk):
    """The office withdraws a certificate (forged attendance, a wrong person), with a reason."""
    require(request.user, Perm.TRAINING_MANAGE)
    enrolment = get_enrolment_for_user(request.user, pk)
    if enrolment.status != StatusPeserta.LULUS or not enrolment.nomor_sertifikat:
        raise Http404
    form = forms.CabutSertifikatForm(request.POST or None)
    if request.method == "POST" and not enrolment.sertifikat_dicabut and form.is_valid():
        try:
            services.certificate_revoke(
                enrolment=enrolment, reason=form.cleaned_data["alasan"], by=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Sertifikat %(nomor)s atas nama %(nama)s dicabut.")
                % {"nomor": enrolment.nomor_sertifikat, "nama": enrolment.psm.nama},
            )
            return redirect("training:event-detail", pk=enrolment.event_id)
    return render(
        request, "training/certificate_revoke.html", {"enrolment": enrolment, "form": form}
    )


@require_POST
def certificates_bundle(request, pk):
    """All valid certificates of the event in one PDF, built in the background."""
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    if not documents.graduates(event).exists():
        messages.error(request, _("Belum ada sertifikat yang berlaku untuk kegiatan ini."))
        return redirect("training:event-detail", pk=event.pk)
    document = document_request(
        jenis=documents.BUNDLE,
        judul=_("Sertifikat %(judul)s") % {"judul": event.judul},
        params={"event": event.pk},
        by=request.user,
    )
    return redirect("reports:document", pk=document.pk)


@login_not_required
@require_GET
def certificate_verify(request, kode):
    """Public: number, name, event, date, valid or revoked. Nothing else."""
    enrolment = (
        Peserta.objects.select_related("psm", "event")
        .filter(kode_sertifikat=kode, status=StatusPeserta.LULUS)
        .first()
    )
    return render(
        request,
        "training/certificate_verify.html",
        {"peserta": enrolment},
        status=200 if enrolment else 404,
    )


@require_http_methods(["GET", "POST"])
def checkin(request, token):
    """QR self check-in: a participant scans the day's code and confirms."""
    day = HariEvent.objects.select_related("event").filter(token_checkin=token).first()
    if day is None or not request.user.psm_id:
        raise Http404
    if request.method == "POST":
        try:
            services.checkin_self(
                token=token, psm=request.user.psm, today=_today(), by=request.user
            )
        except ValidationError as exc:
            # Back to this page, which says why (the event's page may not be the PSM's to see).
            messages.error(request, " ".join(exc.messages))
            return redirect("training:checkin", token=token)
        messages.success(request, _("Kehadiran Anda tercatat. Terima kasih."))
        return redirect("training:event-detail", pk=day.event_id)
    problem = services.checkin_problem(hari=day, psm=request.user.psm, today=_today())
    present = (
        not problem
        and Kehadiran.objects.filter(
            hari=day,
            peserta__psm=request.user.psm,
            status__in=services.PRESENT,
        ).exists()
    )
    return render(
        request, "training/checkin.html", {"day": day, "problem": problem, "present": present}
    )


@require_GET
def psm_history(request, psm_pk):
    """A PSM's training history: every enrolment, its result and certificate."""
    psm = get_psm_for_user(request.user, psm_pk)
    enrolments = (
        Peserta.objects.filter(psm=psm)
        .select_related("event")
        .order_by("-event__tanggal_mulai", "-pk")
    )
    return render(
        request,
        "training/psm_history.html",
        {"psm": psm, "enrolments": enrolments, "records": psm.bimtek_set.order_by("tanggal")},
    )


PARTICIPANT_HEADER = [
    "No.",
    "Nama",
    "NIK",
    "Jenis kelamin",
    "Desa/kelurahan",
    "Kecamatan",
    "Status",
    "Kehadiran (%)",
    "Pre-test",
    "Post-test",
    "Nomor sertifikat",
]


def _certificate_label(enrolment: Peserta) -> str:
    """A revoked certificate's number is printed with the revocation beside it."""
    if not enrolment.nomor_sertifikat:
        return ""
    if enrolment.sertifikat_dicabut:
        return _("%(nomor)s (dicabut)") % {"nomor": enrolment.nomor_sertifikat}
    return enrolment.nomor_sertifikat


@require_GET
def participants(request, pk, fmt):
    """The participant list as XLSX or PDF (NIK masked: it leaves the portal)."""
    event = get_event_for_user(request.user, pk, perm=Perm.TRAINING_MANAGE)
    rows = selectors.participants(event)
    # Names, desa and results leave the portal: recorded like every other export.
    audit.record(
        by=request.user,
        action="event.export",
        target=event,
        after={"format": fmt, "baris": len(rows)},
    )
    if fmt == "xlsx":
        return xlsx_response(
            f"peserta-{event.pk}.xlsx",
            "Peserta",
            PARTICIPANT_HEADER,
            (
                [
                    i,
                    r["peserta"].psm.nama,
                    mask_nik(r["peserta"].psm.nik),
                    r["peserta"].psm.get_jenis_kelamin_display(),
                    r["peserta"].psm.desa_tugas.nama,
                    r["peserta"].psm.desa_tugas.induk.nama,
                    r["peserta"].get_status_display(),
                    r["hadir"],
                    r["peserta"].nilai_pre,
                    r["peserta"].nilai_post,
                    _certificate_label(r["peserta"]),
                ]
                for i, r in enumerate(rows, 1)
            ),
        )
    office = current_office()
    pdf = render_pdf(
        "pdf/training_participants.html",
        {
            "kantor": office,
            "event": event,
            "rows": [{**r, "nik": mask_nik(r["peserta"].psm.nik)} for r in rows],
            "tanggal_mulai": indonesian_date(event.tanggal_mulai),
            "tanggal_selesai": indonesian_date(event.tanggal_selesai),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="peserta-{event.pk}.pdf"'
    return response


@require_GET
def recap(request, fmt="html"):
    """People trained per level and year, and per kecamatan (from the registry's records)."""
    require(request.user, Perm.TRAINING_RECAP)
    year = request.GET.get("tahun", "")
    year = int(year) if year.isascii() and year.isdigit() and 1990 <= int(year) <= 2100 else None
    context = selectors.training_recap(request.user, year)
    labels = dict(PsmBimtek._meta.get_field("tingkat").choices)
    if fmt == "xlsx":
        header = ["Kecamatan", "Kode", *[str(labels[lv]) for lv in context["levels"]]]
        return xlsx_response(
            f"rekap-pelatihan-{year or 'semua'}.xlsx",
            "Rekap",
            header,
            (
                [name, code, *[counts[lv] for lv in context["levels"]]]
                for name, code, counts in context["by_kecamatan"]
            ),
        )
    return render(
        request,
        "training/recap.html",
        {
            **context,
            "year": year,
            "labels": labels,
            "level_labels": [labels[lv] for lv in context["levels"]],
        },
    )
