"""Imports every model so that metadata (Alembic, create_all) and mappers see them all."""
from assist.areas.models import Area  # noqa: F401
from assist.auth.models import ApiToken, LoginAttempt, User  # noqa: F401
from assist.catalog.models import Category, ServiceItem  # noqa: F401
from assist.core.audit import AuditEntry  # noqa: F401
from assist.core.idempotency import IdempotencyRecord  # noqa: F401
from assist.providers.models import Provider, ProviderItem  # noqa: F401
from assist.residents.models import Assessment, HouseholdMember, ImportJob, Resident, StatusChange  # noqa: F401
from assist.units.models import PartnerUnit  # noqa: F401
from assist.diary.models import DiaryEntry, DiaryPhoto, Problem, ProblemEvent  # noqa: F401
from assist.servicepoints.models import ServicePoint  # noqa: F401
from assist.plans.models import ItemDecision, Plan  # noqa: F401
from assist.visits.models import Visit, VisitEvent, VisitFile  # noqa: F401
from assist.reporting.models import PrintJob, PrintRecord, SettlementBatch, SettlementLine  # noqa: F401
