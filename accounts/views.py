from django.shortcuts import render


def home(request):
    insured = request.user.insured
    return render(request, "accounts/home.html", {"insured": insured})
