"""The glossary answers the words a person meets on a statement, each with its anchor."""

import unicodedata

from django.urls import reverse
from django.utils.html import escape

from ameli_portal.glossary import GLOSSARY

REQUIRED = {
    "base-de-remboursement": "Base de remboursement (BR)",
    "ticket-moderateur": "Ticket modérateur",
    "taux-de-remboursement": "Taux de remboursement",
    "tiers-payant": "Tiers payant",
    "depassement-d-honoraires": "Dépassement d'honoraires",
    "parcours-de-soins-coordonnes": "Parcours de soins coordonnés",
    "medecin-traitant": "Médecin traitant",
    "secteur-1-secteur-2": "Secteur 1 / Secteur 2",
    "optam": "OPTAM",
    "100-sante": "100 % Santé",
    "teleconsultation": "Téléconsultation",
    "feuille-de-soins": "Feuille de soins",
    "chambre-particuliere": "Chambre particulière",
    "prime-de-naissance": "Prime de naissance",
    "tableau-de-remboursement": "Tableau de remboursement",
    "participation-forfaitaire": "Participation forfaitaire",
    "franchise-medicale": "Franchise médicale",
    "forfait-journalier-hospitalier": "Forfait journalier hospitalier",
    "ald": "ALD (affection de longue durée)",
    "complementaire-sante-solidaire": "Complémentaire santé solidaire (CSS)",
    "nir": "NIR (numéro de sécurité sociale)",
    "carte-vitale": "Carte Vitale",
    "indemnites-journalieres": "Indemnités journalières",
    "attestation-de-droits": "Attestation de droits",
}


def test_glossary_page_has_every_required_term_with_its_anchor(client):
    response = client.get(reverse("public:glossary"))

    assert response.status_code == 200
    html = response.content.decode()
    missing = [
        slug
        for slug, term in REQUIRED.items()
        if f'<dt id="{slug}">{escape(term)}</dt>' not in html or f'href="#{slug}"' not in html
    ]
    assert not missing, f"termes absents ou sans ancre : {missing}"


def test_glossary_is_sorted_ignoring_accents_and_slugs_are_unique():
    def plain(text):
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

    terms = [entry["term"] for entry in GLOSSARY]
    assert terms == sorted(terms, key=plain)
    slugs = [entry["slug"] for entry in GLOSSARY]
    assert len(slugs) == len(set(slugs))
    assert all(entry["definition"].strip() for entry in GLOSSARY)
