"""Back office: the queue of threads waiting for the caisse, answers, assignment, notices."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin import NirSearchMixin
from accounts.models import Insured
from ameli_portal.admin_tools import AssignedFilter, NoAddDeleteAdminMixin, StaffAssigneeAdminMixin
from ameli_portal.audit import AuditedAdminMixin

from .forms import NewThreadForm, ReplyForm
from .models import BODY_MAX, ContactRequest, Thread
from .services import contact
from .services.threads import (
    MessagingError,
    message_reply_by_staff,
    notice_post_by_staff,
    thread_assign,
    thread_close,
    thread_mark_read,
)

ANSWER_PERM = "messaging.add_message"
CHANGE_PERM = "messaging.change_thread"


class StaffReplyForm(ReplyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Réponse de la caisse"
        self.fields["body"].help_text = (
            "L'assuré reçoit un courriel qui l'invite à lire ce message "
            "dans son compte, sans en reprendre le contenu."
        )
        self.fields["body"].widget.attrs.update(cols=80, rows=8)


class NoticeForm(NewThreadForm):
    insured = forms.ModelChoiceField(
        label="Assuré",
        queryset=Insured.objects.all(),
        widget=AutocompleteSelect(Thread._meta.get_field("insured"), admin.site),
        error_messages={"required": "Choisissez l'assuré destinataire."},
    )

    field_order = ["insured", "topic", "subject", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Texte de l'avis"
        self.fields["body"].help_text = "L'assuré ne peut pas répondre à un avis."
        self.fields["body"].widget.attrs.update(cols=80)
        self.fields["subject"].widget.attrs.update(size=60)


@admin.register(Thread)
class ThreadAdmin(
    NoAddDeleteAdminMixin, StaffAssigneeAdminMixin, NirSearchMixin, AuditedAdminMixin, admin.ModelAdmin
):
    # Threads start from the insured person's side, or as a notice (below).
    list_display = (
        "last_message_at",
        "subject",
        "insured",
        "topic",
        "kind",
        "status",
        "awaiting_answer",
        "assigned_to",
    )
    list_display_links = ("last_message_at", "subject")
    list_filter = ("awaiting_answer", AssignedFilter, "topic", "kind", "status")
    list_select_related = ("insured", "assigned_to")
    search_fields = ("subject", "insured__last_name", "insured__first_names")
    search_help_text = "Objet, nom ou prénom de l'assuré."
    date_hierarchy = "last_message_at"
    readonly_fields = (
        "insured",
        "kind",
        "topic",
        "subject",
        "status",
        "awaiting_answer",
        "created_at",
        "last_message_at",
        "public_id",
    )
    fields = (
        "insured",
        "kind",
        "topic",
        "subject",
        "status",
        "awaiting_answer",
        "assigned_to",
        "created_at",
        "last_message_at",
        "public_id",
    )
    change_form_template = "admin/messaging/thread/change_form.html"
    change_list_template = "admin/messaging/thread/change_list.html"

    def get_ordering(self, request):
        # The queue is worked oldest first; everything else reads newest first.
        if request.GET.get("awaiting_answer__exact") == "1":
            return ["last_message_at", "pk"]
        return super().get_ordering(request)

    def save_model(self, request, obj, form, change):
        # Only the assignee is editable here; it goes through the service, which audits.
        if "assigned_to" in form.changed_data:
            thread_assign(thread=obj, assignee=obj.assigned_to, actor=request.user)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("avis/", wrap(self.notice_view), name="messaging_thread_notice"),
            path("<path:object_id>/repondre/", wrap(self.reply_view), name="messaging_thread_reply"),
            path("<path:object_id>/cloturer/", wrap(self.close_view), name="messaging_thread_close"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        thread = self.get_object(request, unquote(object_id))
        if thread is not None and request.method == "GET" and self.has_view_permission(request, thread):
            thread_mark_read(thread=thread, reader=request.user)
            extra_context = {
                **(extra_context or {}),
                "thread_messages": list(thread.messages.select_related("author")),
                "reply_form": StaffReplyForm(),
                "can_answer": request.user.has_perm(ANSWER_PERM) and thread.accepts_replies,
                "can_close": request.user.has_perm(CHANGE_PERM)
                and thread.status == Thread.Status.OPEN
                and not thread.is_notice,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _thread_for_post(self, request, object_id, perm):
        if request.method != "POST":
            raise _NotPost
        if not request.user.has_perm(perm):
            raise PermissionDenied
        thread = self.get_object(request, unquote(object_id))
        if thread is None:
            raise Http404("Fil de messages introuvable.")
        return thread

    def reply_view(self, request, object_id):
        try:
            thread = self._thread_for_post(request, object_id, ANSWER_PERM)
        except _NotPost:
            return HttpResponseNotAllowed(["POST"])
        change_url = reverse("admin:messaging_thread_change", args=[thread.pk])
        form = StaffReplyForm(request.POST)
        if not form.is_valid():
            for error in form.errors["body"]:
                messages.error(request, f"Réponse non envoyée : {error}")
            return HttpResponseRedirect(change_url)
        try:
            message_reply_by_staff(thread=thread, staff_user=request.user, body=form.cleaned_data["body"])
        except MessagingError as e:
            messages.error(request, f"Réponse non envoyée : {e}")
        else:
            messages.success(request, "Réponse envoyée ; l'assuré en est prévenu par courriel.")
        return HttpResponseRedirect(change_url)

    def close_view(self, request, object_id):
        try:
            thread = self._thread_for_post(request, object_id, CHANGE_PERM)
        except _NotPost:
            return HttpResponseNotAllowed(["POST"])
        if thread_close(thread=thread, actor=request.user):
            messages.success(request, "Conversation clôturée : l'assuré ne peut plus y répondre.")
        else:
            messages.warning(request, "Cette conversation était déjà clôturée.")
        return HttpResponseRedirect(reverse("admin:messaging_thread_change", args=[thread.pk]))

    def notice_view(self, request):
        if not request.user.has_perm(ANSWER_PERM):
            raise PermissionDenied
        initial = {"topic": Thread.Topic.REQUESTS}
        insured_id = request.GET.get("insured", "")
        if insured_id.isascii() and insured_id.isdigit():  # "²" is a digit to str.isdigit()
            initial["insured"] = insured_id
        form = NoticeForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                thread = notice_post_by_staff(
                    insured=data["insured"],
                    staff_user=request.user,
                    subject=data["subject"],
                    body=data["body"],
                    topic=data["topic"],
                )
            except MessagingError as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, f"Avis envoyé à {thread.insured}.")
                return HttpResponseRedirect(reverse("admin:messaging_thread_change", args=[thread.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Envoyer un avis à un assuré",
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/messaging/thread/notice.html", context)


class _NotPost(Exception):
    pass


class ContactStatusFilter(admin.SimpleListFilter):
    """The queue opens on what is left to do."""

    title = "état"
    parameter_name = "etat"

    def lookups(self, request, model_admin):
        return [
            (None, "À traiter"),
            *[(v, label) for v, label in ContactRequest.Status.choices if v != ContactRequest.Status.NEW],
            ("tout", "Toutes"),
        ]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string(
                    {self.parameter_name: value} if value else {}, [self.parameter_name]
                ),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset.filter(status=ContactRequest.Status.NEW)
        if self.value() == "tout":
            return queryset
        return queryset.filter(status=self.value())


class ContactRequestAdminForm(forms.ModelForm):
    answer_text = forms.CharField(
        label="Répondre par courriel",
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"cols": 80, "rows": 8}),
        help_text="Envoyé à l'adresse indiquée par la personne, qui n'est pas vérifiée : "
        "aucune donnée personnelle ni médicale dans la réponse.",
    )

    class Meta:
        model = ContactRequest
        fields = ["assigned_to"]

    def clean_answer_text(self):
        text = self.cleaned_data["answer_text"].strip()
        if text and self.instance.status != ContactRequest.Status.NEW:
            raise forms.ValidationError("Cette demande a déjà reçu une réponse ou est clôturée.")
        return text


@admin.register(ContactRequest)
class ContactRequestAdmin(
    NoAddDeleteAdminMixin, StaffAssigneeAdminMixin, AuditedAdminMixin, admin.ModelAdmin
):
    form = ContactRequestAdminForm
    list_display = ("created_at", "subject", "identity", "status", "assigned_to", "answered_at")
    list_display_links = ("created_at", "subject")
    list_filter = (ContactStatusFilter, "subject", AssignedFilter)
    list_select_related = ("assigned_to",)
    search_fields = ("last_name", "first_names", "postal_code")
    search_help_text = "Nom, prénom ou code postal saisis par la personne."
    readonly_fields = (
        "created_at",
        "subject",
        "body",
        "reply_email",
        "identity",
        "birth_date",
        "postal_code",
        "nir_display",
        "register_match",
        "status",
        "answer",
        "answered_by",
        "answered_at",
        "closed_at",
    )
    fieldsets = [
        ("Demande", {"fields": ("created_at", "subject", "body", "reply_email")}),
        (
            "Identité saisie (non vérifiée)",
            {"fields": ("identity", "birth_date", "postal_code", "nir_display", "register_match")},
        ),
        (
            "Traitement",
            {
                "fields": (
                    "status",
                    "assigned_to",
                    "answer_text",
                    "answer",
                    "answered_by",
                    "answered_at",
                    "closed_at",
                )
            },
        ),
    ]
    actions = ["close"]

    @admin.display(description="identité saisie")
    def identity(self, obj):
        return " ".join(p for p in (obj.first_names, obj.last_name) if p) or "–"

    @admin.display(description="NIR saisi")
    def nir_display(self, obj):
        return obj.nir_masked or "–"

    @admin.display(description="dans le registre")
    def register_match(self, obj):
        # Staff only: the public page never says whether a NIR is known.
        insured = Insured.objects.filter(nir=obj.nir).first() if obj.nir else None
        if insured is None:
            return "Aucun assuré n'a ce NIR." if obj.nir else "–"
        url = reverse("admin:accounts_insured_change", args=[insured.pk])
        return format_html('<a href="{}">{}</a>', url, insured)

    def save_model(self, request, obj, form, change):
        # The services write and audit; the admin form never saves the row itself.
        if "assigned_to" in form.changed_data:
            contact.contact_request_assign(request=obj, assignee=obj.assigned_to, actor=request.user)
        if form.cleaned_data.get("answer_text"):
            contact.contact_request_answer(
                request=obj, staff_user=request.user, body=form.cleaned_data["answer_text"]
            )
            messages.success(request, "Réponse envoyée par courriel.")

    @admin.action(description="Clôturer les demandes sélectionnées", permissions=["change"])
    def close(self, request, queryset):
        count = sum(contact.contact_request_close(request=r, actor=request.user) for r in queryset)
        self.message_user(request, f"{count} demande(s) clôturée(s).", messages.SUCCESS)
