"""Back office: the queues of requests, their assignment, their transitions, their attachments."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from ameli_portal import admin_tools
from ameli_portal.admin_tools import NoAddDeleteAdminMixin, StaffAssigneeAdminMixin
from ameli_portal.audit import AuditedAdminMixin

from . import services
from .forms import FORMS, DecisionForm
from .models import Attachment, Kind, Request, Status
from .views import attachment_response, shown_data

CHANGE_PERM = "requests_app.change_request"
DOWNLOAD_PERM = "requests_app.view_attachment"

ACTION_LABELS = {
    Status.REVIEW: "Mettre en instruction",
    Status.COMPLEMENT: "Demander un complément",
    Status.ACCEPTED: "Accepter",
    Status.REFUSED: "Refuser",
    Status.CLOSED: "Clôturer",
}


class QueueFilter(admin.SimpleListFilter):
    title = "file de travail"
    parameter_name = "file"

    def lookups(self, request, model_admin):
        return [
            ("a_prendre", "À prendre en charge (déposées)"),
            ("instruction", "En instruction"),
            ("attente", "En attente de l'assuré"),
            ("retard", "En retard (date prévue dépassée)"),
            ("ouvertes", "Toutes les démarches ouvertes"),
            ("a_confirmer", "Sans compte, pas encore confirmées par l'assuré"),
        ]

    def queryset(self, request, queryset):
        open_q = Q(status__in=[Status.FILED, Status.REVIEW, Status.COMPLEMENT])
        return {
            "a_prendre": queryset.filter(status=Status.FILED),
            "instruction": queryset.filter(status=Status.REVIEW),
            "attente": queryset.filter(status=Status.COMPLEMENT),
            "retard": queryset.filter(open_q, expected_by__lt=timezone.localdate()),
            "ouvertes": queryset.filter(open_q),
            "a_confirmer": queryset.filter(
                open_q,
                public_confirmation__isnull=False,
                public_confirmation__confirmed_at__isnull=True,
                public_confirmation__voided_at__isnull=True,
            ),
        }.get(self.value(), queryset)


class AssignedFilter(admin_tools.AssignedFilter):
    title = "attribution"
    parameter_name = "attribuee"
    mine, nobody = "Attribuées à moi", "Non attribuées"


@admin.register(Request)
class RequestAdmin(NoAddDeleteAdminMixin, StaffAssigneeAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "reference",
        "kind",
        "insured_nir",
        "insured",
        "status",
        "filed_at",
        "expected_by",
        "late",
        "assigned_to",
    )
    list_filter = (QueueFilter, AssignedFilter, "kind", "status", "filed_without_account")
    list_select_related = ("insured", "assigned_to")
    date_hierarchy = "filed_at"
    search_fields = ("insured__last_name", "insured__first_names")
    search_help_text = "Nom ou prénom de l'assuré."
    actions = ("assign_to_me", "unassign")
    fieldsets = [
        (
            "Démarche",
            {
                "fields": (
                    "reference",
                    "kind",
                    "insured",
                    "insured_nir",
                    "beneficiary",
                    "filed_without_account",
                    "confirmation_state",
                    "filed_at",
                    "request_data",
                )
            },
        ),
        (
            "Traitement",
            {
                "fields": (
                    "status",
                    "transition_buttons",
                    "assigned_to",
                    "expected_by",
                    "expected_from_insured",
                    "decided_at",
                    "decision_reason",
                    "decided_amount",
                    "granted_months",
                )
            },
        ),
        ("Pièces jointes et historique", {"fields": ("attachment_links", "timeline")}),
    ]
    readonly_fields = tuple(f for _, opts in fieldsets for f in opts["fields"] if f != "assigned_to")

    @admin.display(description="référence")
    def reference(self, obj):
        return obj.reference

    @admin.display(description="NIR")
    def insured_nir(self, obj):
        return obj.insured.nir_masked

    @admin.display(description="en retard", boolean=True)
    def late(self, obj):
        return obj.is_open and obj.expected_by < timezone.localdate()

    @admin.display(description="confirmation (sans compte)")
    def confirmation_state(self, obj):
        confirmation = getattr(obj, "public_confirmation", None) if obj.filed_without_account else None
        if confirmation is None:
            return "Sans objet (déposée depuis le compte de l'assuré)."
        if confirmation.confirmed_at:
            return (
                f"Confirmée le {timezone.localtime(confirmation.confirmed_at):%d/%m/%Y à %H:%M} "
                f"par : {confirmation.get_confirmed_by_display().lower()}."
            )
        if confirmation.voided_at:
            return "Annulée (démarche refusée) : le code ne peut plus servir."
        if confirmation.by_email:
            return (
                "Non confirmée : un code a été envoyé à l'adresse électronique du dossier. "
                "Rien n'est fait (pas d'opposition) avant le code ou votre acceptation ; "
                "vérifiez les pièces, au besoin en appelant l'assuré."
            )
        return (
            "Non confirmée, aucune adresse électronique au dossier : vous seul pouvez la "
            "confirmer en l'acceptant. Vérifiez les pièces, au besoin en appelant l'assuré."
        )

    @admin.display(description="demande")
    def request_data(self, obj):
        """What the insured asked, in the words of their own page (amounts « 1 250,00 € »,
        dates, choices by their labels), the IBAN whole; a stored answer the form no longer
        asks for, as stored."""
        asked = FORMS[obj.kind].base_fields
        rows = shown_data(obj, iban_masked=False)
        rows += [
            (name, value) for name, value in obj.data.items() if name not in asked and value not in ("", None)
        ]
        return format_html("<dl>{}</dl>", format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows))

    @admin.display(description="actions")
    def transition_buttons(self, obj):
        targets = services.allowed_targets(obj.status, services.STAFF)
        if not targets:
            return "Aucune (démarche clôturée)."
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            [
                (reverse("admin:requests_app_request_transition", args=[obj.pk, to]), ACTION_LABELS[to])
                for to in targets
            ],
        )

    @admin.display(description="pièces jointes")
    def attachment_links(self, obj):
        items = []
        for a in obj.attachments.all():
            url = reverse("admin:requests_app_request_attachment", args=[obj.pk, a.public_id])
            # Images are shown in place (an <img> runs nothing); a PDF is only ever downloaded.
            preview = (
                format_html('<br><img src="{}" alt="{}" width="240">', url, a.label)
                if a.content_type != Attachment.ContentType.PDF
                else ""
            )
            items.append(
                (
                    url,
                    a.label,
                    a.get_content_type_display(),
                    a.original_name or "sans nom",
                    f"{a.size // 1024 or 1} ko",
                    " – en complément" if a.added_for_complement else "",
                    preview,
                )
            )
        if not items:
            return "Aucune."
        return format_html(
            "<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> ({}, « {} », {}){}{}</li>', items)
        )

    @admin.display(description="historique")
    def timeline(self, obj):
        rows = [
            (
                timezone.localtime(e.at).strftime("%d/%m/%Y %H:%M"),
                e.get_from_status_display() or "–",
                # An insured person's login is their NIR: never shown, only "Assuré".
                e.get_to_status_display(),
                e.actor.get_username() if e.actor and e.actor_kind == "staff" else e.get_actor_kind_display(),
                e.reason,
            )
            for e in obj.events.select_related("actor")
        ]
        return format_html(
            "<table><thead><tr><th>Le</th><th>De</th><th>Vers</th><th>Par</th><th>Motif</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def save_model(self, request, obj, form, change):
        # The only editable field is the assignment, and it goes through its service (audited).
        if "assigned_to" in form.changed_data:
            services.request_assign(request=obj, to=obj.assigned_to, actor=request.user)

    @admin.action(description="M'attribuer les démarches sélectionnées", permissions=["change"])
    def assign_to_me(self, request, queryset):
        for obj in queryset:
            services.request_assign(request=obj, to=request.user, actor=request.user)
        self.message_user(request, f"{queryset.count()} démarche(s) vous sont attribuées.", messages.SUCCESS)

    @admin.action(description="Remettre dans la file commune (désattribuer)", permissions=["change"])
    def unassign(self, request, queryset):
        for obj in queryset:
            services.request_assign(request=obj, to=None, actor=request.user)
        self.message_user(request, f"{queryset.count()} démarche(s) désattribuée(s).", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/etat/<slug:to_status>/",
                self.admin_site.admin_view(self.transition_view),
                name="requests_app_request_transition",
            ),
            path(
                "<path:object_id>/pieces/<uuid:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="requests_app_request_attachment",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, object_id, to_status):
        if not request.user.has_perm(CHANGE_PERM):
            raise PermissionDenied
        # get_object: an id that is no number is a 404, not a server error.
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        change_url = reverse("admin:requests_app_request_change", args=[obj.pk])
        if to_status not in ACTION_LABELS:
            raise PermissionDenied
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.request_transition(
                    request=obj,
                    to_status=to_status,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    amount=form.cleaned_data["amount"],
                    months=form.cleaned_data["months"],
                )
            except services.TransitionNotAllowed as exc:
                form.add_error(
                    "reason" if "motif" in str(exc).lower() or "attendu" in str(exc) else None, str(exc)
                )
            else:
                self.message_user(
                    request,
                    f"Démarche {obj.reference} : {Status(to_status).label.lower()}.",
                    messages.SUCCESS,
                )
                return redirect(change_url)
        return TemplateResponse(
            request,
            "admin/requests_app/request/transition.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": obj,
                "form": form,
                "to_status": to_status,
                "action_label": ACTION_LABELS[to_status],
                "change_url": change_url,
                "reason_required": to_status in services.REASON_REQUIRED,
                "asks_amount": to_status == Status.ACCEPTED and obj.kind == Kind.PRESTATION,
                "asks_months": to_status == Status.ACCEPTED and obj.kind == Kind.COTISATION,
                "title": f"{ACTION_LABELS[to_status]} – {obj}",
            },
        )

    def attachment_view(self, request, object_id, attachment_id):
        if not request.user.has_perm(DOWNLOAD_PERM):
            raise PermissionDenied
        filed = self.get_object(request, unquote(object_id))  # a 404 for an id that is no number
        if filed is None:
            raise Http404
        attachment = get_object_or_404(
            Attachment.objects.select_related("request"), request=filed, public_id=attachment_id
        )
        services.attachment_staff_access(attachment=attachment, actor=request.user)
        return attachment_response(attachment)
