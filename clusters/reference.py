"""The reference data every site starts with: the mission's six clusters and the themes."""

# Theme slugs and names from the exchange format (spec/exchange-format.md).
THEMES = [
    ("ccus", "Carbon capture, usage and storage", "Capturing CO2 and using or storing it"),
    ("hydrogen", "Hydrogen and low-carbon fuels", "Producing, storing and using hydrogen"),
    ("bioenergy", "Bioenergy", "Biomass, biogas and biofuels"),
    ("clean-electricity", "Clean electricity", "Clean power and electrification"),
    ("energy-efficiency", "Energy efficiency", "Energy and resource efficiency, heat recovery"),
    ("infrastructure", "Infrastructure", "Shared pipelines, storage and networks"),
    ("digital", "Digital", "Data, monitoring and control"),
    ("finance", "Finance", "Investment and funding"),
    ("skills", "Skills", "Workforce and training"),
]
THEME_SLUGS = frozenset(slug for slug, _, _ in THEMES)

EMISSIONS_SOURCE = "high-emission sites in the EU ETS"

# The six largest clusters by emissions, with the mission's figures (MtCO2 a year).
CLUSTERS = [
    ("humber", "Humber", "Yorkshire and the Humber", "12.4"),
    ("south-wales", "South Wales", "Wales", "8.2"),
    ("grangemouth", "Grangemouth", "Central Scotland", "4.3"),
    ("teesside", "Teesside", "North East England", "3.1"),
    ("merseyside", "Merseyside", "North West England and North Wales", "2.6"),
    ("southampton", "Southampton", "South East England (Solent)", "2.6"),
]


def create_reference_data(theme_model, cluster_model) -> None:
    """Create the themes and clusters if missing; leaves edited ones alone. Idempotent.

    Takes the model classes so that the data migration can pass its historical models.
    """
    from decimal import Decimal

    for position, (slug, name, description) in enumerate(THEMES):
        theme_model.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    for slug, name, region, emissions in CLUSTERS:
        cluster_model.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "region": region,
                "emissions_mtco2": Decimal(emissions),
                "emissions_source": EMISSIONS_SOURCE,
            },
        )
