"""The domain vocabulary (matching/vocabulary.txt) seen from outside the engine: every concept is
reached by the plain ways people say it, two listings that say it in different words meet on it,
and ordinary text or lower-case look-alikes of acronyms reach nothing.

Only the engine's public functions are used: `fit` analyses the texts, and the fitted model's
feature keys name each concept as "~<label>".
"""

import pytest

from matching import engine
from matching.engine import Doc, fit, suggest

# Concept label -> plain phrasings a person would write. The first two share no word, so that a
# need saying the first and an offer saying the second have only the concept in common.
SYNONYMS = {
    # Carbon capture, transport, storage and use
    "carbon capture": [
        "carbon capture on the stack",
        "an amine scrubbing unit",
        "CCUS",
        "capturing CO2 from flue gas",
    ],
    "co2 storage": [
        "a depleted gas field offshore",
        "permanent geological sequestration",
        "CO2 storage site appraisal",
        "storing CO2 in a saline aquifer",
    ],
    "co2 transport": [
        "a CO2 pipeline to the store",
        "liquefaction and an export terminal",
        "non-pipeline transport by ship",
        "CO2 shipping",
    ],
    "co2 use": [
        "turning captured CO2 into products",
        "mineral carbonation of aggregates",
        "food grade CO2 for drinks",
        "CO2 utilisation",
    ],
    "carbon removal": [
        "negative emissions",
        "direct air capture",
        "BECCS and biochar",
        "greenhouse gas removal",
    ],
    # Hydrogen and low-carbon fuels
    "hydrogen": ["hydrogen", "H2", "low-carbon hydrogen"],
    "hydrogen production": ["producing hydrogen", "LCHS compliance", "a hydrogen production plant"],
    "electrolysis": [
        "electrolysers",
        "proton exchange membrane",
        "water electrolysis",
        "an alkaline electrolyser",
    ],
    "hydrogen from gas reforming": [
        "steam methane reforming",
        "SMR",
        "blue hydrogen",
        "an autothermal reformer",
    ],
    "hydrogen fuel switching": [
        "hydrogen-ready burners",
        "fuel switching",
        "hydrogen blending in the boiler",
    ],
    "hydrogen network": [
        "hydrogen storage",
        "salt caverns",
        "tube trailer deliveries",
        "a hydrogen pipeline",
    ],
    "hydrogen vehicles": ["a hydrogen refuelling station", "fuel cell vehicles", "FCEV"],
    "low-carbon fuels": [
        "sustainable aviation fuel",
        "green ammonia",
        "e-fuels",
        "methanol as a marine fuel",
    ],
    "nuclear": ["small modular reactors", "nuclear heat", "nuclear power"],
    # Bioenergy and waste
    "bioenergy": ["biomass", "wood pellets", "miscanthus and straw"],
    "anaerobic digestion": ["anaerobic digestion", "biomethane", "an AD plant"],
    "gasification and pyrolysis": ["gasification", "pyrolysis oil", "bio-SNG"],
    "energy from waste": ["an energy from waste plant", "an incinerator", "refuse derived fuel"],
    "fermentation co2": ["fermentation", "a bioethanol plant", "a distillery"],
    "circular economy": ["circular economy", "recycled content", "industrial symbiosis"],
    # Industries
    "cement and lime": ["cement works", "rotary kiln", "clinker"],
    "construction materials": ["ready mix concrete", "plasterboard", "quarrying"],
    "steel": ["steelmaking", "an electric arc furnace", "a blast furnace"],
    "metals": ["aluminium", "die casting", "heat treatment"],
    "glass": ["float glass", "cullet", "a glass furnace"],
    "ceramics and bricks": ["brickworks", "refractories", "a tunnel kiln"],
    "refining": ["an oil refinery", "fired heaters", "an FCC unit"],
    "chemicals": ["a chemical plant", "an ethylene cracker", "fertiliser production"],
    "pharmaceuticals": ["pharmaceutical manufacturing", "pharma", "medicines manufacturing"],
    "paper and pulp": ["a paper mill", "tissue", "pulp"],
    "food and drink": ["food processing", "a brewery", "a dairy"],
    "power generation": ["a power station", "CCGT", "gas turbines"],
    "data centres": ["a data centre", "server farm", "data centers"],
    "manufacturing smes": ["SMEs", "small manufacturers", "small and medium sized enterprises"],
    # Heat, steam and efficiency
    "heat pump": [
        "heat pumps",
        "mechanical vapour recompression",
        "MVR",
        "an air source heat pump",
    ],
    "steam and boilers": [
        "steam",
        "a boiler house",
        "condensate recovery",
        "combined heat and power",
    ],
    "waste heat recovery": [
        "waste heat recovery",
        "an economiser",
        "recovering heat from flue gases",
        "a heat exchanger on the exhaust",
        "pinch analysis",
    ],
    "thermal storage": ["thermal storage", "a heat battery", "a steam accumulator"],
    "process heat": ["process heat", "industrial ovens", "furnaces", "dryers"],
    "electrification of heat": [
        "electrification",
        "an electric boiler",
        "induction heating",
        "electrifying our ovens",
    ],
    "fuel switching": [
        "fuel switching",
        "replace natural gas",
        "moving away from natural gas",
        "switching from gas",
    ],
    "energy efficiency": [
        "energy efficiency",
        "variable speed drives",
        "reduce energy consumption",
        "an energy audit",
        "cutting energy bills",
        "insulation",
    ],
    "compressed air": ["compressed air", "pneumatic tools", "fixing air leaks", "air compressors"],
    "motors and drives": [
        "electric motors",
        "variable speed drives",
        "IE4 motors",
        "inverter drives on pumps",
    ],
    "process control": [
        "advanced process control",
        "oxygen trim on the burners",
        "model predictive control",
        "combustion controls",
    ],
    "energy management": [
        "an energy management system",
        "sub-metering",
        "monitoring and targeting",
        "energy performance indicators",
        "an energy manager",
    ],
    "lighting and buildings": [
        "LED lighting",
        "HVAC",
        "a building management system",
        "lighting controls",
    ],
    "cooling and refrigeration": [
        "industrial refrigeration",
        "chillers",
        "cooling towers",
        "process cooling",
    ],
    "demand flexibility": [
        "demand side response",
        "capacity market",
        "load shifting",
        "flexibility services",
    ],
    # Power and grid
    "grid connection": ["a grid connection", "DNO", "substation upgrade", "network constraints"],
    "renewable power": ["a power purchase agreement", "solar PV", "onshore wind"],
    "battery storage": ["battery storage", "BESS", "long duration energy storage"],
    "shore power": ["shore power", "cold ironing", "onshore power supply"],
    "electric vehicles": ["electric vehicles", "charge points", "EV charging"],
    # Gas, emissions and monitoring
    "natural gas": ["natural gas", "methane", "LNG"],
    "methane leaks": ["leak detection and repair", "LDAR", "methane slip"],
    "emissions monitoring": ["continuous emissions monitoring", "MRV", "carbon accounting"],
    "decarbonisation planning": [
        "a net zero roadmap",
        "decarbonisation plan",
        "science based targets",
    ],
    "life cycle assessment": ["life cycle assessment", "embodied carbon", "LCA"],
    "air pollution": ["NOx", "air quality", "particulates"],
    # Digital
    "digital and data": ["a digital twin", "machine learning", "SCADA"],
    # Projects, safety, consents
    "process safety": ["HAZOP", "DSEAR assessment", "a safety case"],
    "engineering studies": ["FEED", "concept design", "feasibility study"],
    "operations and maintenance": ["O&M", "operations and maintenance", "planned maintenance"],
    "planning and consents": [
        "planning permission",
        "environmental permit",
        "development consent order",
    ],
    "pipelines and repurposing": ["pipelines", "repurposing", "in-line inspection"],
    # Money
    "finance and investment": ["project finance", "venture capital", "green bonds"],
    "grant funding": ["grant funding", "IETF", "match funding"],
    "business models": ["contract for difference", "offtake", "business model"],
    "energy as a service": ["energy as a service", "ESCO", "energy performance contract"],
    # People, places, research
    "skills and training": ["apprenticeships", "upskilling", "skills bootcamp"],
    "just transition": ["just transition", "redundancies", "redeployment"],
    "research and testing": ["R&D", "test rig", "university"],
    "host site": ["host site", "slipstream", "co-location"],
    "land and property": ["brownfield", "freeport", "industrial land"],
    "ports and shipping": ["port", "vessels", "quayside"],
    "port equipment": ["straddle carriers", "cranes", "reach stackers"],
    "vehicle fleets": ["HGVs", "fleet", "haulage"],
    "public engagement": ["public engagement", "social licence", "community benefit"],
}

# The concepts that make up energy efficiency on a site, the weakest theme on held-back data.
ENERGY_EFFICIENCY = [
    "energy efficiency",
    "compressed air",
    "motors and drives",
    "process control",
    "energy management",
    "lighting and buildings",
    "cooling and refrigeration",
    "waste heat recovery",
    "steam and boilers",
    "heat pump",
]

# Ordinary text reaches no concept at all, even where it uses words that also have a meaning in
# the field ("raise", "data", "host", "pilot", "wind", "permits", "leases", "charging", "meters").
EVERYDAY = [
    "We sell office furniture and catering.",
    "Our friendly team answers the phone seven days a week.",
    "A family firm with a shop on the high street, selling shoes and bags.",
    "We will raise the matter at the next meeting and share the data with the community.",
    "Of course, if time permits, we can host the event and take questions from the floor.",
    "She led the research team; the trial went well and we plan to wind down the old line.",
    "Our software dashboard shows the paper trail, and the induction for new staff is on Monday.",
    "We are charging a small fee for the courses; acceptance follows a short consultation.",
    "Land, leases and capital: we invest in a pilot and a testing lab, with flexibility.",
    "The pool is ten meters long and the car park has forty spaces.",
]

# (text in capitals, a lower-case look-alike, the concept only the capitals reach)
ACRONYMS = [
    ("An AD plant", "an ad hoc study", "anaerobic digestion"),
    ("LED lighting throughout", "the project was led by our director", "lighting and buildings"),
    ("An SMR unit", "an smr unit", "hydrogen from gas reforming"),
    ("HRS for buses", "open 24 hrs", "hydrogen vehicles"),
    ("STEM outreach", "to stem the losses", "skills and training"),
    ("A DAC pilot", "a dac converter", "carbon removal"),
    ("The HAR contract", "har har", "business models"),
]


def concepts_of(model, ref: str) -> set[str]:
    """The concepts the engine found in one fitted document."""
    row = model.matrix[model.index[ref]]
    return {
        model.features[c][1:]
        for c, v in zip(row.indices, row.data, strict=True)
        if v > 0 and model.features[c].startswith("~")
    }


def listing(ref: str, text: str, kind: str = "need") -> Doc:
    return Doc(ref=ref, owner=f"org-{ref}", kind=kind, title="", text=text)


@pytest.fixture(scope="module")
def phrasings():
    """One model over every phrasing of every concept, each in a short sentence of its own."""
    docs, refs = [], {}
    for label, texts in SYNONYMS.items():
        for i, text in enumerate(texts):
            ref = f"{label}/{i}"
            refs[(label, text)] = ref
            docs.append(listing(ref, f"Our site is interested in {text}."))
    for i, text in enumerate(EVERYDAY):
        docs.append(listing(f"everyday/{i}", text))
    return fit(docs), refs


def test_every_concept_has_phrasings_here():
    """A new concept comes with the ways people say it (and a removed one leaves the table)."""
    assert set(SYNONYMS) == set(engine.vocabulary().labels)
    assert all(len(texts) >= 3 for texts in SYNONYMS.values())


@pytest.mark.parametrize("label", list(SYNONYMS))
def test_each_phrasing_reaches_its_concept(phrasings, label):
    model, refs = phrasings
    missed = [t for t in SYNONYMS[label] if label not in concepts_of(model, refs[(label, t)])]
    assert missed == []


@pytest.mark.parametrize("label", list(SYNONYMS))
def test_two_listings_in_different_words_meet_on_the_concept(label):
    said_one_way, said_another = SYNONYMS[label][:2]
    docs = [
        listing("N", f"Looking for {said_one_way}."),
        listing("O-same", f"We provide {said_another}.", kind="offer"),
        listing("O-other", "We sell office furniture and catering.", kind="offer"),
    ]
    model = fit(docs)
    assert label in concepts_of(model, "N") & concepts_of(model, "O-same")
    suggestions = suggest(model, ["N"])
    assert [s.target for s in suggestions] == ["O-same"]
    # Shown as the corpus writes its acronyms ("CO2 transport", "manufacturing SMEs").
    assert label in [r.lower() for r in suggestions[0].reasons]


@pytest.mark.parametrize("text", EVERYDAY)
def test_everyday_text_reaches_no_concept(phrasings, text):
    model, _ = phrasings
    found = concepts_of(model, f"everyday/{EVERYDAY.index(text)}")
    assert found == set()
    assert not found & set(ENERGY_EFFICIENCY)


@pytest.mark.parametrize(("capitals", "lower", "label"), ACRONYMS)
def test_acronyms_in_capitals_do_not_match_lower_case_words(capitals, lower, label):
    model = fit([listing("caps", capitals), listing("lower", lower)])
    assert label in concepts_of(model, "caps")
    assert label not in concepts_of(model, "lower")
