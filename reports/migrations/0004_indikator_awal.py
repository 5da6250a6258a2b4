"""The first version of the indicator set, from the seed documents (input, process, output,
outcome, impact; frequency and intensity of involvement, length of service). Administrators
change weights and targets by adding a new version in the admin."""

import datetime as dt

from django.db import migrations

START = dt.date(2020, 1, 1)

# kode, nama, kategori, tingkat, cara_hitung, penjelasan, satuan, bobot, target
INDIKATOR = [
    ("IN-01", "Bimtek yang diselesaikan", "input", "psm", "bimtek_selesai",
     "Jenjang Bimtek (dasar, lanjutan, spesialisasi) yang sudah lulus", "jenjang", 10, 2),
    ("IN-02", "Masa bakti", "input", "psm", "masa_bakti",
     "Lama menjadi PSM, dalam tahun penuh", "tahun", 10, 5),
    ("PR-01", "Frekuensi keterlibatan", "proses", "psm", "frekuensi",
     "Kegiatan dan asesmen yang diajukan per bulan", "per bulan", 20, 4),
    ("PR-02", "Intensitas keterlibatan", "proses", "psm", "jam_kegiatan",
     "Jumlah jam kegiatan yang dicatat", "jam", 15, 100),
    ("OP-01", "Asesmen PPKS diajukan", "output", "psm", "asesmen_diajukan",
     "Asesmen yang diajukan ke dinas", "asesmen", 15, 24),
    ("OP-02", "Asesmen PPKS terverifikasi", "output", "psm", "asesmen_diverifikasi",
     "Asesmen yang diverifikasi dinas (termasuk yang dirujuk/ditutup)", "asesmen", 15, 20),
    ("OC-01", "Rujukan diterima", "outcome", "psm", "rujukan_diterima",
     "Rujukan dari asesmen PSM yang diterima atau selesai", "rujukan", 10, 10),
    ("DP-01", "Warga terjangkau", "dampak", "psm", "warga_dibantu",
     "Subjek PPKS yang diasesmen ditambah warga yang hadir/dibantu dalam kegiatan", "orang", 5, 200),
    ("KT-01", "PSM aktif per desa/kelurahan", "input", "kantor", "psm_per_desa",
     "PSM aktif dibagi jumlah desa/kelurahan", "PSM", 0, 1),
    ("KT-02", "PSM aktif yang sudah Bimtek", "input", "kantor", "persen_terlatih",
     "Bagian PSM aktif yang punya sedikitnya satu Bimtek", "%", 0, 100),
    ("KT-03", "Desa/kelurahan tanpa PSM aktif", "output", "kantor", "desa_tanpa_psm",
     "Jumlah desa/kelurahan yang belum punya PSM aktif", "desa", 0, 1),
    ("KT-04", "Asesmen PPKS per PSM aktif", "output", "kantor", "ppks_per_psm",
     "Asesmen yang diajukan dibagi jumlah PSM aktif", "asesmen", 0, 12),
]


def add(apps, schema_editor):
    Indikator = apps.get_model("reports", "Indikator")
    for kode, nama, kategori, tingkat, cara, penjelasan, satuan, bobot, target in INDIKATOR:
        Indikator.objects.update_or_create(
            kode=kode,
            versi=1,
            defaults=dict(
                nama=nama,
                kategori=kategori,
                tingkat=tingkat,
                cara_hitung=cara,
                penjelasan=penjelasan,
                satuan=satuan,
                bobot=bobot,
                target=target,
                berlaku_mulai=START,
            ),
        )


def remove(apps, schema_editor):
    apps.get_model("reports", "Indikator").objects.filter(versi=1).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_indikator_evaluasi")]
    operations = [migrations.RunPython(add, remove)]
