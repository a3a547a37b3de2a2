"""Data + schema: Zona Integritas LKE templates (issue 13, ADR 0015).

Creates ``zi_template`` (versioned template + thresholds documents, never changed once stored)
and ships ``PermenPANRB-90-2021`` version 1: the components, area and hasil weights of
``services/registry/seed/zi-ngurah-rai/template-permenpanrb-90-2021.yaml`` and the thresholds of
``thresholds.yaml`` (seed 002, Tabel 3), frozen here on purpose (a migration must not change when
the seed files do). Weights marked ``secondary_source`` must be checked against the regulation's
annex; a corrected set is a new version, not an edit of this one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMENPANRB_90_2021: dict[str, Any] = {
    "code": "PermenPANRB-90-2021",
    "version": 1,
    "valid_from_year": 2022,
    "title": "LKE Zona Integritas, PermenPANRB 90/2021 (bobot area dan sub-komponen hasil dari sumber sekunder)",
    "template": {
        "format": "kinerja.zi-template/v1",
        "regulation": {
            "code": "PermenPANRB-90-2021",
            "name": "Peraturan Menteri PANRB Nomor 90 Tahun 2021 tentang Pembangunan dan "
            "Evaluasi Zona Integritas Menuju Wilayah Bebas dari Korupsi dan Wilayah "
            "Birokrasi Bersih dan Melayani di Instansi Pemerintah",
            "replaces": ["PermenPANRB-52-2014", "PermenPANRB-10-2019"],
            "named_in_seed": False,
        },
        "total_weight": "100",
        "components": [
            {
                "code": "pengungkit",
                "name": "Komponen Pengungkit",
                "weight": "60",
                "status": "seed",
                "source": "seed 002, baris 225 (evaluasi WBBM 2020, rezim 52/2014 jo 10/2019); "
                "90/2021 mempertahankan 60 (sumber sekunder)",
                "halves": [
                    {"code": "pemenuhan", "name": "Pemenuhan", "weight": "30", "status": "secondary_source"},
                    {"code": "reform", "name": "Reform", "weight": "30", "status": "secondary_source"},
                ],
                "areas": [
                    {
                        "code": "change_management",
                        "name": "Manajemen Perubahan",
                        "weights": {"pemenuhan": "4", "reform": "4"},
                        "status": "secondary_source",
                        "named_in_seed": "baris 92 (1. Manajemen Perubahan)",
                    },
                    {
                        "code": "business_process",
                        "name": "Penataan Tatalaksana",
                        "weights": {"pemenuhan": "3.5", "reform": "3.5"},
                        "status": "secondary_source",
                        "named_in_seed": "baris 92 (2. Penataan Tatalaksana)",
                    },
                    {
                        "code": "hr_management",
                        "name": "Penataan Sistem Manajemen SDM",
                        "weights": {"pemenuhan": "5", "reform": "5"},
                        "status": "secondary_source",
                        "named_in_seed": "baris 88 (penataan Sistem Manajemen SDM); baris 92: 'Penataan Manajemen SDM'",
                    },
                    {
                        "code": "performance_accountability",
                        "name": "Penguatan Akuntabilitas Kinerja",
                        "weights": {"pemenuhan": "5", "reform": "5"},
                        "status": "secondary_source",
                        "named_in_seed": "baris 92 (4. Penguatan Akuntabilitas Kinerja)",
                    },
                    {
                        "code": "supervision",
                        "name": "Penguatan Pengawasan",
                        "weights": {"pemenuhan": "7.5", "reform": "7.5"},
                        "status": "secondary_source",
                        "named_in_seed": "baris 92 (5. Penguatan Pengawasan)",
                    },
                    {
                        "code": "public_service",
                        "name": "Peningkatan Kualitas Pelayanan Publik",
                        "weights": {"pemenuhan": "5", "reform": "5"},
                        "status": "secondary_source",
                        "named_in_seed": "baris 92 (6. Peningkatan Kualitas Pelayanan Publik); "
                        "baris 88: 'Penguatan Kualitas Pelayanan Publik'",
                    },
                ],
            },
            {
                "code": "hasil",
                "name": "Komponen Hasil",
                "weight": "40",
                "status": "seed",
                "source": "seed 002, baris 225 (evaluasi WBBM 2020, rezim 52/2014 jo 10/2019); "
                "90/2021 mempertahankan 40 (sumber sekunder)",
                "sub_components": [
                    {
                        "code": "clean_accountable_bureaucracy",
                        "name": "Birokrasi yang Bersih dan Akuntabel",
                        "seed_name": "Terwujudnya Pemerintahan yang Bersih dan Bebas KKN",
                        "weight": "22.5",
                        "status": "secondary_source_unverified",
                        "items": [
                            {
                                "code": "anti_corruption_perception",
                                "name": "Indeks Persepsi Anti Korupsi (IPAK, survei)",
                                "seed_name": "Survei Persepsi Anti Korupsi",
                                "weight": "17.5",
                                "status": "secondary_source_unverified",
                            },
                            {
                                "code": "performance",
                                "name": "Capaian Kinerja Lebih Baik dari Capaian Kinerja Sebelumnya",
                                "seed_name": None,
                                "weight": "5",
                                "status": "secondary_source_unverified",
                                "note": "Seed (rezim 10/2019) menyebut di tempat ini "
                                "'Persentasi TLHP' (tindak lanjut hasil "
                                "pemeriksaan), bukan capaian kinerja.",
                            },
                        ],
                    },
                    {
                        "code": "excellent_public_service",
                        "name": "Pelayanan Publik yang Prima",
                        "seed_name": "Terwujudnya Peningkatan Kualitas Pelayanan Publik Kepada Masyarakat",
                        "weight": "17.5",
                        "status": "secondary_source_unverified",
                        "items": [
                            {
                                "code": "service_quality_perception",
                                "name": "Indeks Persepsi Kualitas Pelayanan (IPKP, survei)",
                                "seed_name": "survey",
                                "weight": "17.5",
                                "status": "secondary_source_unverified",
                            }
                        ],
                    },
                ],
            },
        ],
    },
    "thresholds": {
        "format": "kinerja.zi-thresholds/v1",
        "source": "seed 002, Tabel 3 (baris 208-223)",
        "regime": "PermenPANRB 52/2014 jo 10/2019",
        "predicates": {
            "WBK": {
                "name": "Wilayah Bebas dari Korupsi",
                "total_min": "75",
                "pengungkit_min": "40",
                "area_min_share": "0.60",
                "hasil": {
                    "clean_government_min": "18.50",
                    "clean_government_survey_min": "13.5",
                    "anti_corruption_perception_min": "3.60",
                    "anti_corruption_perception_printed": "3.60)",
                    "tlhp_min": "5.00",
                    "public_service_min": "16",
                    "public_service_survey_min": "3.20",
                    "public_service_printed": "16 (surve 3.20)",
                },
                "ngurah_rai_reached_in": 2018,
            },
            "WBBM": {
                "name": "Wilayah Birokrasi Bersih dan Melayani",
                "total_min": "85",
                "pengungkit_min": "48",
                "area_min_share": "0.75",
                "hasil": {
                    "clean_government_min": "18.50",
                    "clean_government_survey_min": "13.50",
                    "anti_corruption_perception_min": "3.60",
                    "anti_corruption_perception_printed": "3.60)",
                    "tlhp_min": "5.0",
                    "public_service_min": "18",
                    "public_service_survey_min": "3.60",
                    "public_service_printed": "18 (survey 3.60)",
                },
                "ngurah_rai_reached_in": 2020,
            },
        },
        "table_2_reference_column": {
            "source": "seed 002, Tabel 2 (baris 193-202), kolom 'WBK/WBBM'",
            "WBK": {"pengungkit": "43.5", "hasil": "31.5", "total": "75"},
            "WBBM": {"pengungkit": "53.5", "hasil": "31.5", "total": "85"},
            "note": "Makna kolom tidak dijelaskan di seed; minimum "
            "pengungkit-nya (43,5/53,5) berbeda dari Tabel 3 (40/48).",
        },
    },
}


def upgrade() -> None:
    table = op.create_table(
        "zi_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from_year", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zi_template")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_zi_template_code_version")),
    )
    op.bulk_insert(
        table,
        [
            {
                "code": "PermenPANRB-90-2021",
                "version": 1,
                "valid_from_year": 2022,
                "document": PERMENPANRB_90_2021,
                "recorded_at": datetime(2021, 12, 31, tzinfo=UTC),
                "recorded_by": "migration:0005",
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("zi_template")
