"""Pages of the reimbursements app."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render

from .forms import SimulatorForm
from .rules import RulesError
from .simulator import simulate


@login_not_required
def simulator(request):
    """Public simulator: a GET form, so that an estimate can be bookmarked or shared.

    The query string holds no personal data (an age, never a birth date or a NIR).
    """
    form = SimulatorForm(request.GET if "care" in request.GET else None)
    result = None
    if form.is_valid():
        try:
            result = simulate(form.cleaned_data)
        except RulesError as exc:
            form.add_error(None, str(exc))
    return render(request, "reimbursements/simulator.html", {"form": form, "result": result})
