"""PSM in the field and staff at their desks, as HTTP clients of a running portal: what the load
and fault checks drive. Each PSM submits PPKS assessments (a new ``client_uuid`` each, one in five
with a photo, one in eight sent twice as a phone does after a dropped signal) and records
activities; staff browse the lists. Every answer is recorded, so the test can count what the
portal accepted and compare it with the rows in the database."""

import datetime as dt
import io
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from PIL import Image

from tests.reliability.helpers import Client, form_values, parse_forms

CASE_DETAIL = re.compile(r"^/kasus/(\d+)/$")
ACTIVITY_DETAIL = re.compile(r"^/registri/kegiatan/(\d+)/$")


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 90)).save(out, "JPEG", quality=70)
    return out.getvalue()


@dataclass
class Tally:
    """Everything the clients saw, shared by all threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter = field(default_factory=Counter)
    accepted_cases: dict = field(default_factory=dict)  # client_uuid -> (case pk, photos sent)
    accepted_activities: dict = field(default_factory=dict)  # client_uuid -> activity pk
    refused: list = field(default_factory=list)  # (what, status, first words of the page)
    errors: list = field(default_factory=list)  # exceptions (connection refused...)
    latencies: list = field(default_factory=list)
    activity_problems: list = field(default_factory=list)  # form errors of refused activities
    events: list = field(default_factory=list)  # (monotonic time, what, status)

    def record(self, what: str, response, started: float) -> None:
        with self.lock:
            self.statuses[(what, response.status)] += 1
            self.events.append((time.monotonic(), what, response.status))
            self.latencies.append(time.monotonic() - started)
            if response.status >= 500:
                self.refused.append((what, response.status, response.text[:2000]))

    def error(self, what: str, exc: Exception) -> None:
        with self.lock:
            self.errors.append((what, repr(exc)))

    @property
    def five_xx(self) -> int:
        return sum(n for (_w, status), n in self.statuses.items() if status >= 500)


def case_form(psm_desa: str, n: int, today: dt.date) -> dict:
    """A PSM's new case: an elderly person without a KTP in the PSM's own desa."""
    return {
        "client_uuid": str(uuid.uuid4()),
        "s-jenis": "orang",
        "s-nama": f"Warga Beban {n} {uuid.uuid4().hex[:6]}",
        "s-nik": "",
        "s-alasan_tanpa_nik": "tidak_punya",
        "s-jenis_kelamin": "P",
        "s-tanggal_lahir": "1948-05-02",
        "s-alamat": "Jl. Tidar Gg. 3",
        "s-rt": "02",
        "s-rw": "05",
        "s-desa": psm_desa,
        "jenis": "awal",
        "metode_kontak": "kunjungan",
        "tanggal": today.isoformat(),
        "persetujuan_oleh": "subjek",
        "persetujuan_nama": "Warga Beban",
        "persetujuan_pada": today.isoformat(),
        "kategori": ["PPKS-08"],
        "kategori_utama": "PPKS-08",
        "masalah": "Tinggal sendiri, tidak ada penghasilan.",
        "kebutuhan": "Permakanan dan pendampingan.",
        "urgensi": "segera",
        "konfirmasi_peringatan": "on",
        "aksi": "ajukan",
    }


class PsmClient(threading.Thread):
    def __init__(self, port, username, desa, tally, deadline, seed, *, stop_event=None, grace=0):
        super().__init__(daemon=True, name=f"psm-{username}")
        self.grace = grace  # how long after the deadline a failed case is still sent again
        self.client = Client(port, timeout=30)
        self.username, self.desa, self.tally, self.deadline = username, desa, tally, deadline
        self.random = random.Random(seed)
        self.stop_event = stop_event or threading.Event()
        self.photo = small_jpeg()
        self.activity_base = None

    def _login(self) -> bool:
        try:
            self.client.cookies.clear()
            self.client.login(self.username)
            page = self.client.get("/registri/kegiatan/catat/")
            forms = [
                f
                for f in parse_forms(page.text, "/registri/kegiatan/catat/")
                if f.method == "post" and any(x.name == "uraian" for x in f.fields)
            ]
            if forms:
                base = form_values(forms[-1])
                jenis = next(
                    (
                        o["value"]
                        for f in forms[-1].fields
                        if f.name == "jenis"
                        for o in f.options
                        if o["value"]
                    ),
                    "",
                )
                self.activity_base = {k: v for k, v in base.items() if k != "client_uuid"} | {
                    "jenis": jenis,
                    "durasi_jam": "2",
                    "tempat": "Balai RW 05",
                    "jumlah_penerima": "3",
                    "uraian": "Pendampingan lansia dan pendataan.",
                }
            self.client.get("/kasus/baru/")  # the CSRF cookie the form would set
            return True
        except Exception as exc:  # the database may be down right now (fault test)
            self.tally.error("login", exc)
            return False

    def _send_case(self, n: int) -> None:
        """Send one case; on a 5xx send the same form again after a pause, as the phone's outbox
        does (the same client_uuid, so a case saved before the answer was lost is not doubled)."""
        data = case_form(self.desa, n, dt.date.today())
        with_photo = self.random.random() < 0.2
        files = {"foto": [("rumah.jpg", self.photo, "image/jpeg")]} if with_photo else None
        sends = 2 if self.random.random() < 0.125 else 1
        answered = attempts = 0
        while answered < sends and attempts < 60:
            attempts += 1
            started = time.monotonic()
            response = self.client.post("/kasus/baru/", data, files)
            self.tally.record("case", response, started)
            match = CASE_DETAIL.match(response.location) if response.status == 302 else None
            if match:
                answered += 1
                with self.tally.lock:
                    previous = self.tally.accepted_cases.get(data["client_uuid"])
                    assert previous is None or previous[0] == int(match.group(1)), "twin case"
                    self.tally.accepted_cases[data["client_uuid"]] = (
                        int(match.group(1)),
                        1 if with_photo else 0,
                    )
            elif response.status >= 500 and time.monotonic() < self.deadline + self.grace:
                time.sleep(0.5)
            else:
                break

    def _send_activity(self) -> None:
        if not self.activity_base:
            return
        # Spread over the last month: a day holds at most 24 hours of a PSM's activities.
        day = dt.date.today() - dt.timedelta(days=self.random.randrange(30))
        data = {
            **self.activity_base,
            "client_uuid": str(uuid.uuid4()),
            "tanggal": day.isoformat(),
        }
        started = time.monotonic()
        response = self.client.post("/registri/kegiatan/catat/", data)
        self.tally.record("activity", response, started)
        match = ACTIVITY_DETAIL.match(response.location) if response.status == 302 else None
        if not match and response.status < 500:
            with self.tally.lock:
                self.tally.activity_problems.append(
                    re.findall(r"invalid-feedback[^>]*>\s*<strong>([^<]+)", response.text)[:3]
                    or [response.status]
                )
        if match:
            with self.tally.lock:
                self.tally.accepted_activities[data["client_uuid"]] = int(match.group(1))

    def run(self) -> None:
        logged_in = False
        n = 0
        while time.monotonic() < self.deadline and not self.stop_event.is_set():
            try:
                if not logged_in:
                    logged_in = self._login()
                    if not logged_in:
                        time.sleep(0.5)
                        continue
                n += 1
                if self.random.random() < 0.25:
                    self._send_activity()
                else:
                    self._send_case(n)
            except Exception as exc:  # a refused connection while the database restarts
                self.tally.error("psm", exc)
                time.sleep(0.2)


class StaffClient(threading.Thread):
    PAGES = ["/kasus/", "/registri/psm/", "/kasus/antrean/", "/registri/kegiatan/", "/pelatihan/"]

    def __init__(self, port, username, tally, deadline, *, stop_event=None):
        super().__init__(daemon=True, name=f"staff-{username}")
        self.client = Client(port, timeout=30)
        self.username, self.tally, self.deadline = username, tally, deadline
        self.stop_event = stop_event or threading.Event()

    def run(self) -> None:
        logged_in = False
        i = 0
        while time.monotonic() < self.deadline and not self.stop_event.is_set():
            try:
                if not logged_in:
                    self.client.login(self.username)
                    logged_in = True
                path = self.PAGES[i % len(self.PAGES)]
                i += 1
                started = time.monotonic()
                response = self.client.get(path)
                self.tally.record(f"staff {path}", response, started)
                if response.status >= 500:
                    time.sleep(0.3)  # a person waits a moment before reloading
                if response.status == 302 and "/masuk/" in response.location:
                    logged_in = False
            except Exception as exc:
                self.tally.error("staff", exc)
                time.sleep(0.2)


def check_invariants(tally: Tally) -> dict:
    """Every accepted submission is in the database exactly once, whole: its categories, its
    submitted version and status step, its photo; no subject without a case, no case nobody
    was told about. Returns the counts for the report."""
    from assessments.models import Asesmen, AsesmenFoto, AsesmenVersi, Subjek, Transisi
    from registry.models import Kegiatan

    cases = {str(a.client_uuid): a for a in Asesmen.objects.all()}
    accepted = tally.accepted_cases
    assert set(accepted) <= set(cases), "an accepted case is missing from the database"
    for key, (pk, _photos) in accepted.items():
        assert cases[key].pk == pk
    assert Asesmen.objects.count() == len(cases)  # client_uuid is unique: once each
    unannounced = set(cases) - set(accepted)
    # A case saved while its answer was lost (the connection dropped after the commit) is
    # possible, but then it must be whole too; it is counted, not hidden.
    for case in Asesmen.objects.prefetch_related("kategori"):
        kategori = {k.kode for k in case.kategori.all()}
        assert kategori == {"PPKS-08"} and case.kategori_utama_id == "PPKS-08", case.pk
        assert case.status == "diajukan", (case.pk, case.status)
    pks = [a.pk for a in cases.values()]
    versions = Counter(
        AsesmenVersi.objects.filter(asesmen_id__in=pks).values_list("asesmen_id", flat=True)
    )
    steps = Counter(
        Transisi.objects.filter(asesmen_id__in=pks, ke="diajukan").values_list(
            "asesmen_id", flat=True
        )
    )
    photos = Counter(AsesmenFoto.objects.values_list("asesmen_id", flat=True))
    for key, case in cases.items():
        assert versions[case.pk] == 1 and steps[case.pk] == 1, case.pk
        if key in accepted:
            assert photos[case.pk] == accepted[key][1], (case.pk, photos[case.pk])
    assert not Subjek.objects.filter(asesmen_set__isnull=True).exists(), "a subject without a case"

    activities = {str(k.client_uuid): k.pk for k in Kegiatan.objects.all()}
    assert set(tally.accepted_activities) <= set(activities)
    for key, pk in tally.accepted_activities.items():
        assert activities[key] == pk
    return {
        "cases accepted": len(accepted),
        "case rows": len(cases),
        "case rows saved but unanswered": len(unannounced),
        "photos": sum(photos.values()),
        "activities accepted": len(tally.accepted_activities),
        "activity rows": len(activities),
    }
