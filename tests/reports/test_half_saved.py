"""A recap request that fails in the middle leaves nothing of itself (the error page says
nothing was saved): the document queued for a province's recap and the export's audit entry
are written together or not at all. PostgreSQL cancels one of the writes, as the statement
timeout or a restart would."""

import pytest
from django.urls import reverse

from psm_portal.models import AuditEvent, GeneratedDocument, Role
from tests.factories import make_user
from tests.faults import cancelled_write, postgresql_only, visitor

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("url", "table", "when"),
    [
        # The audit entry was written before the document, which failed.
        (reverse("reports:ppks-recap", args=["xlsx"]), "reports_generateddocument", "true"),
        # The document was queued before the audit entry, which failed.
        (
            reverse("reports:recap-xlsx"),
            "psm_portal_auditevent",
            "NEW.action = 'report.export'",
        ),
    ],
)
def test_a_provinces_recap_cut_short_queues_nothing_and_audits_nothing(regions, url, table, when):
    client = visitor(make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov-batal"))
    with cancelled_write(table, when):
        response = client.get(url, {"tahun": 2026})
    assert response.status_code == 503 and "belum tersimpan" in response.content.decode()
    assert not GeneratedDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="report.export").exists()
    assert client.get(url, {"tahun": 2026}).status_code == 302
    assert GeneratedDocument.objects.count() == 1
    assert AuditEvent.objects.filter(action="report.export").count() == 1
