"""Reference data as shipped: the 26 PPKS categories (Permensos 8/2012, in the official order),
disability types (UU 8/2016) and aid programmes. Loaded by migration 0002; offices edit the rows
in the admin afterwards (a later load never overwrites an edited row)."""

# code, abbreviation, name, (person, family, community), min age, max age, sex, needs disability
# type, specific-data class, short criteria
KATEGORI = [
    ("PPKS-01", "ABT", "Anak Balita Terlantar", (1, 0, 0), None, 5, "", False, "anak",
     "Ditelantarkan orang tua atau dalam keluarga yang tidak mampu mengasuh; hak dasar tidak terpenuhi."),
    ("PPKS-02", "AT", "Anak Terlantar", (1, 0, 0), 6, 18, "", False, "anak",
     "Mengalami perlakuan salah atau ditelantarkan, atau kehilangan pengasuhan; kebutuhan dasar tidak terpenuhi."),
    ("PPKS-03", "ABH", "Anak yang Berhadapan dengan Hukum", (1, 0, 0), 12, 17, "", False, "pidana",
     "Diduga, didakwa atau dijatuhi pidana; juga anak korban atau saksi tindak pidana."),
    ("PPKS-04", "AJ", "Anak Jalanan", (1, 0, 0), 5, 17, "", False, "anak",
     "Menghabiskan sebagian besar waktunya di jalan atau tempat umum untuk mencari nafkah atau berkeliaran."),
    ("PPKS-05", "ADK", "Anak dengan Kedisabilitasan", (1, 0, 0), None, 17, "", True, "anak",
     "Disabilitas fisik, mental atau ganda yang menghambat kegiatan sehari-hari."),
    ("PPKS-06", "AKTK", "Anak yang Menjadi Korban Tindak Kekerasan atau Diperlakukan Salah", (1, 0, 0), None, 17, "", False, "anak",
     "Sering mendapat perlakuan kasar, dianiaya atau diperkosa, dipaksa bekerja."),
    ("PPKS-07", "AMPK", "Anak yang Memerlukan Perlindungan Khusus", (1, 0, 0), 6, 18, "", False, "anak",
     "Situasi darurat, kelompok minoritas atau terisolasi, eksploitasi, perdagangan orang, korban NAPZA, HIV/AIDS."),
    ("PPKS-08", "LUT", "Lanjut Usia Terlantar", (1, 0, 0), 60, None, "", False, "",
     "Kebutuhan dasar (sandang, pangan, papan) tidak terpenuhi; terlantar secara psikis atau sosial."),
    ("PPKS-09", "PD", "Penyandang Disabilitas", (1, 0, 0), 18, None, "", True, "kesehatan",
     "Keterbatasan fisik, intelektual, mental atau sensorik jangka panjang yang menghambat partisipasi."),
    ("PPKS-10", "TS", "Tuna Susila", (1, 0, 0), None, None, "", False, "lainnya",
     "Melakukan hubungan seksual untuk imbalan uang atau barang secara berulang."),
    ("PPKS-11", "GLD", "Gelandangan", (1, 0, 0), None, None, "", False, "",
     "Tidak punya KTP, tempat tinggal tetap, penghasilan tetap, maupun rencana masa depan."),
    ("PPKS-12", "PGM", "Pengemis", (1, 0, 0), None, None, "", False, "",
     "Mendapat penghasilan dengan meminta-minta di tempat umum."),
    ("PPKS-13", "PML", "Pemulung", (1, 0, 0), None, None, "", False, "",
     "Tidak punya pekerjaan tetap; mengumpulkan barang bekas untuk dijual."),
    ("PPKS-14", "KMN", "Kelompok Minoritas", (1, 0, 1), None, None, "", False, "lainnya",
     "Disfungsi sosial akibat diskriminasi dan marginalisasi. Jangan mencatat orientasi seksual atau identitas gender."),
    ("PPKS-15", "BWBLP", "Bekas Warga Binaan Lembaga Pemasyarakatan", (1, 0, 0), 18, None, "", False, "pidana",
     "Telah selesai menjalani pidana; ditolak keluarga atau masyarakat; sulit mendapat pekerjaan."),
    ("PPKS-16", "ODHA", "Orang dengan HIV/AIDS", (1, 0, 0), 18, None, "", False, "kesehatan",
     "Dinyatakan positif HIV/AIDS dan membutuhkan pelayanan sosial."),
    ("PPKS-17", "NAPZA", "Korban Penyalahgunaan NAPZA", (1, 0, 0), None, None, "", False, "kesehatan",
     "Pernah menyalahgunakan NAPZA; dinyatakan bebas ketergantungan tetapi belum berfungsi sosial."),
    ("PPKS-18", "KPO", "Korban Perdagangan Orang", (1, 0, 0), None, None, "", False, "",
     "Mengalami kekerasan, eksploitasi seksual, penelantaran, pemulangan, atau gagal beradaptasi."),
    ("PPKS-19", "KTK", "Korban Tindak Kekerasan", (1, 1, 1), None, None, "", False, "",
     "Perlakuan salah, penelantaran, eksploitasi, diskriminasi, ditinggalkan dalam bahaya."),
    ("PPKS-20", "PMBS", "Pekerja Migran Bermasalah Sosial", (1, 0, 0), None, None, "", False, "",
     "Pekerja migran (mantan) dengan masalah sosial: tidak berdokumen, miskin, dideportasi, dianiaya."),
    ("PPKS-21", "KBA", "Korban Bencana Alam", (1, 1, 1), None, None, "", False, "",
     "Luka, meninggal, kehilangan harta atau dampak psikologis akibat bencana alam."),
    ("PPKS-22", "KBS", "Korban Bencana Sosial", (1, 1, 1), None, None, "", False, "",
     "Luka, meninggal, kehilangan harta atau dampak psikologis akibat konflik sosial atau teror."),
    ("PPKS-23", "PRSE", "Perempuan Rawan Sosial Ekonomi", (1, 0, 0), 18, 59, "P", False, "",
     "Ditinggal tanpa kejelasan, pencari nafkah utama, penghasilan tidak mencukupi."),
    ("PPKS-24", "FM", "Fakir Miskin", (1, 1, 0), None, None, "", False, "keuangan",
     "Tidak punya mata pencaharian, atau punya tetapi tidak dapat memenuhi kebutuhan dasar."),
    ("PPKS-25", "KBSP", "Keluarga Bermasalah Sosial Psikologis", (0, 1, 0), None, None, "", False, "",
     "Ketidakharmonisan suami-istri atau orang tua-anak; fungsi keluarga terganggu."),
    ("PPKS-26", "KAT", "Komunitas Adat Terpencil", (0, 0, 1), None, None, "", False, "",
     "Kelompok kecil, tertutup, homogen, terpencil, subsisten, akses pelayanan terbatas."),
]  # fmt: skip

DISABILITAS = [
    ("fisik", "Disabilitas fisik", "fisik"),
    ("intelektual", "Disabilitas intelektual", "intelektual"),
    ("mental", "Disabilitas mental", "mental"),
    ("netra", "Disabilitas sensorik: netra", "sensorik"),
    ("rungu", "Disabilitas sensorik: rungu", "sensorik"),
    ("wicara", "Disabilitas sensorik: wicara", "sensorik"),
]

PROGRAM = [
    ("PKH", "Program Keluarga Harapan (PKH)", "Permensos 1/2018", "Kementerian Sosial",
     "Keluarga miskin di DTSEN dengan komponen kesehatan (ibu hamil/nifas, anak 0-6), pendidikan (anak sekolah 6-21) atau kesejahteraan sosial (lansia 60+, disabilitas berat)."),
    ("SEMBAKO", "Program Sembako", "", "Kementerian Sosial",
     "Keluarga miskin atau rentan di DTSEN dengan NIK dan KK yang valid."),
    ("PBI_JK", "PBI Jaminan Kesehatan (KIS)", "PP 101/2012 jo. PP 76/2015", "Kementerian Sosial / BPJS Kesehatan",
     "Fakir miskin dan orang tidak mampu yang terdaftar di DTSEN; NIK valid di Dukcapil."),
    ("ATENSI", "Asistensi Rehabilitasi Sosial (ATENSI)", "Permensos 7/2021", "Sentra/balai Kemensos",
     "PPKS klaster anak, disabilitas, tuna sosial dan korban perdagangan orang, NAPZA, lanjut usia, korban bencana; ditetapkan lewat asesmen."),
    ("BLT_DD", "BLT Dana Desa", "", "Pemerintah desa",
     "Keluarga miskin ekstrem di DTSEN; ditetapkan musyawarah desa."),
    ("PIP", "Program Indonesia Pintar (PIP/KIP)", "", "Kemendikdasmen / Kemenag",
     "Anak usia sekolah dari keluarga miskin atau rentan."),
    ("RTLH", "Rehabilitasi Rumah Tidak Layak Huni", "", "Dinas Perkim / Dinas Sosial",
     "Rumah tidak layak huni milik keluarga miskin."),
    ("BANSOS_DAERAH", "Bantuan sosial daerah (APBD)", "", "Dinas Sosial",
     "Sesuai peraturan kepala daerah setempat."),
    ("LKS", "Penempatan di LKS/panti", "", "LKS / UPTD panti",
     "PPKS yang memerlukan pengasuhan atau perawatan di luar keluarga."),
    ("DTSEN", "Usulan masuk DTSEN", "", "Dinas Sosial (melalui musyawarah desa/kelurahan)",
     "Warga miskin atau rentan yang belum terdaftar di DTSEN; syarat program bantuan pusat."),
]  # fmt: skip


# Programmes paid only to people with a NIK valid at Dukcapil (domain.md 4.3).
PROGRAM_WAJIB_NIK = ("SEMBAKO", "PBI_JK")


def load(apps) -> None:
    """Insert the rows that are missing; rows already there (maybe edited) are left alone."""
    Kategori = apps.get_model("assessments", "KategoriPpks")
    Disabilitas = apps.get_model("assessments", "JenisDisabilitas")
    Program = apps.get_model("assessments", "Program")
    for i, (kode, singkatan, nama, unit, umin, umax, jk, dis, sens, kriteria) in enumerate(
        KATEGORI, 1
    ):
        Kategori.objects.get_or_create(
            kode=kode,
            defaults={
                "urutan": i,
                "singkatan": singkatan,
                "nama": nama,
                "untuk_orang": bool(unit[0]),
                "untuk_keluarga": bool(unit[1]),
                "untuk_komunitas": bool(unit[2]),
                "umur_min": umin,
                "umur_maks": umax,
                "jenis_kelamin": jk,
                "perlu_disabilitas": dis,
                "sensitivitas": sens,
                "kriteria": kriteria,
            },
        )
    for i, (kode, nama, kelompok) in enumerate(DISABILITAS, 1):
        Disabilitas.objects.get_or_create(
            kode=kode, defaults={"urutan": i, "nama": nama, "kelompok": kelompok}
        )
    # The field came later (migration 0010, which sets it on rows loaded before it).
    has_nik_rule = any(f.name == "wajib_nik" for f in Program._meta.get_fields())
    for i, (kode, nama, dasar, pj, kriteria) in enumerate(PROGRAM, 1):
        defaults = {
            "urutan": i,
            "nama": nama,
            "dasar_hukum": dasar,
            "penanggung_jawab": pj,
            "kriteria_ringkas": kriteria,
        }
        if has_nik_rule:
            defaults["wajib_nik"] = kode in PROGRAM_WAJIB_NIK
        Program.objects.get_or_create(kode=kode, defaults=defaults)
