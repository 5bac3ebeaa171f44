"""Ma messagerie: the inbox, a new message, a thread and its reply."""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import get_insured_id_for_user
from accounts.security import fingerprint

from .access import get_thread_for_user
from .forms import ContactRequestForm, NewThreadForm, ReplyForm
from .models import Thread
from .queries import inbox_threads
from .services.contact import contact_request_submit
from .services.threads import MessagingError, message_reply_by_insured, thread_mark_read, thread_start

PER_PAGE = 20


@never_cache
def inbox(request):
    insured_id = get_insured_id_for_user(request.user)
    page = Paginator(inbox_threads(insured_id), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "messaging/inbox.html", {"page": page, "threads": page.object_list})


@never_cache
@require_http_methods(["GET", "POST"])
def thread_new(request):
    get_insured_id_for_user(request.user)
    # A link may choose the topic (« Données personnelles » opens a message on that one).
    topic = request.GET.get("theme", "")
    initial = {"topic": topic} if topic in Thread.Topic.values else {}
    form = NewThreadForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = thread_start(
                insured=request.user.insured,
                user=request.user,
                topic=data["topic"],
                subject=data["subject"],
                body=data["body"],
                idempotency_key=data["idempotency_key"],
            )
        except MessagingError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                "Votre message a été envoyé. Un conseiller vous répondra dans "
                "cette messagerie ; vous serez prévenu par courriel.",
            )
            return redirect("messaging:thread", public_id=thread.public_id)
    status = 400 if form.is_bound else 200
    return render(request, "messaging/new.html", {"form": form}, status=status)


@never_cache
def thread_detail(request, public_id):
    thread = get_thread_for_user(request.user, public_id)
    return _thread_page(request, thread, ReplyForm())


def _thread_page(request, thread, form, status=200):
    # Opening the thread is reading it: the caisse's messages no longer count as unread.
    thread_mark_read(thread=thread, reader=request.user)
    thread_messages = list(thread.messages.all())
    return render(
        request,
        "messaging/thread.html",
        {"thread": thread, "thread_messages": thread_messages, "form": form},
        status=status,
    )


@require_POST
def thread_reply(request, public_id):
    thread = get_thread_for_user(request.user, public_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            message_reply_by_insured(
                thread=thread,
                user=request.user,
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except MessagingError as e:
            messages.error(request, f"Votre réponse n'a pas été envoyée : {e}")
        else:
            messages.success(request, "Votre réponse a été envoyée.")
        return redirect("messaging:thread", public_id=thread.public_id)
    return _thread_page(request, thread, form, status=400)


TOO_MANY = "Vous avez envoyé plusieurs demandes en peu de temps. Réessayez dans une heure, ou appelez-nous."


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def contact(request):
    """Contacter la caisse: the public form; a signed-in insured person is sent to the messagerie."""
    if getattr(request.user, "insured_id", None):
        return render(request, "public/contact.html", {"signed_in": True})
    form = ContactRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Keyed by the reply address (hashed: no address in the cache), and by IP.
        if not ratelimit.consume(
            request, action="contact_form", key=fingerprint(form.cleaned_data["reply_email"].casefold())
        ):
            form.add_error(None, TOO_MANY)
        else:
            contact_request_submit(**form.cleaned_data)
            return redirect("public:contact_sent")
    status = 400 if form.is_bound else 200
    return render(request, "public/contact.html", {"form": form}, status=status)


@login_not_required
def contact_sent(request):
    return render(request, "public/contact_sent.html")
