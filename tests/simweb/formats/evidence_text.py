"""Texts of the pages and documents about data practices, and of the hard negatives beside them.

Every template takes a ``Ctx`` (the city, facts shared by all its pages, and an RNG of its own for
the page) and returns a ``Doc``: a title, the decisive ``phrase`` its text contains verbatim, and
content blocks that render to HTML (``evidence``) or to PDF lines (``pdf``). Several templates per
kind, in different wording, so a classifier cannot key on one sentence. All text is written for
this simulator; every name, figure and date is invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tests.simweb.formats.datasets import DEPARTMENTS
from tests.simweb.population import SimCity

#: A content block: ("p", text) | ("h2", text) | ("ul", [text]) | ("table", [header], [[cell]]) |
#: ("dl", [(term, definition)]).
Block = tuple
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]
_GIVEN = ["Avery", "Blair", "Casey", "Dana", "Emerson", "Finley", "Harper", "Jordan", "Kendall", "Morgan",
          "Parker", "Quinn", "Riley", "Sawyer", "Taylor", "Rosa", "Theo", "Imani", "Luis", "Mei"]
_SURNAMES = ["Abernathy", "Blackwood", "Castellano", "Delacroix", "Eastman", "Fairbanks", "Greaves", "Holloway",
             "Ibarra", "Jorgensen", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okafor", "Pemberton",
             "Quintero", "Ramaswamy", "Sorensen", "Tran"]
_OFFICES = ["Office of Performance and Innovation", "Office of Data and Analytics", "Office of Strategic Initiatives",
            "Innovation and Performance Team", "Department of Innovation and Technology"]
_PROGRAMS = [("utility bill reminders", "utility-bill-reminders", "late utility payments"),
             ("summer youth employment", "summer-youth-employment", "school attendance and later employment"),
             ("pretrial text reminders", "court-date-reminders", "missed municipal court dates"),
             ("home energy retrofits", "home-energy-retrofits", "household energy bills"),
             ("street outreach for homelessness", "street-outreach", "placements into stable housing")]


@dataclass
class Doc:
    """One page or document: its title, decisive phrase and content blocks."""

    title: str
    phrase: str
    blocks: list[Block] = field(default_factory=list)


class Ctx:
    """What a template knows: the city, facts every page of the city agrees on, and its own RNG."""

    def __init__(self, c: SimCity, key: str):
        self.c = c
        self.city = c.name
        self.rng = random.Random(f"{c.geoid}/{c.qid}/{key}")
        facts = random.Random(f"{c.geoid}/{c.qid}/facts")
        self.office = facts.choice(_OFFICES)
        self.cdo = _person(facts)
        self.mayor = _person(facts)
        self.manager = _person(facts)
        self.purchasing = _person(facts)
        self.policy_year = facts.randrange(2015, 2024)
        self.policy_no = facts.randrange(1, 30)
        self.depts = facts.sample(DEPARTMENTS, 6)
        self.program = facts.choice(_PROGRAMS)
        self.datasets = c.n_datasets if c.platform else facts.randrange(25, 180)
        self.residents = c.population

    def person(self) -> str:
        return _person(self.rng)

    def date(self, year: int, upto: int = 12) -> str:
        """A day of ``year``, in its first ``upto`` months (served content is dated before 2026-10-15)."""
        return f"{MONTHS[self.rng.randrange(upto)]} {self.rng.randrange(1, 29)}, {year}"

    def pct(self, lo: int = 40, hi: int = 95) -> int:
        return self.rng.randrange(lo, hi)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}"


# ==================================================================================== open_data_policy
def odp_admin_policy(x: Ctx) -> Doc:
    r = x.rng
    phrase = "open by default"
    return Doc("Open Data Policy", phrase, [
        ("dl", [("Policy number", f"AP-{r.randrange(100, 400)}"), ("Effective", x.date(x.policy_year)),
                ("Responsible office", x.office), ("Applies to", "All city departments, boards and commissions")]),
        ("h2", "1. Purpose"),
        ("p", f"This policy sets out how the City of {x.city} makes the data it creates and maintains available to "
              "residents, businesses, researchers and other governments. Public data is a public asset. The City "
              f"will manage its data so that it is {phrase}, free of charge, and published in formats anyone can reuse."),
        ("h2", "2. Scope"),
        ("p", "The policy covers every data set a department collects or maintains in the course of its work. It "
              "does not cover data that is confidential under state or federal law, that identifies individual "
              "people, or whose release would put public safety or the security of city systems at risk."),
        ("h2", "3. Requirements"),
        ("ul", ["Each department head designates an Open Data Coordinator who keeps the department's data "
                "inventory current and reviews it once a year.",
                "Public data sets are published in machine-readable, non-proprietary formats (such as CSV and "
                "JSON) together with metadata that explains every field and how often the data is refreshed.",
                "Published data carries an open license that places no restriction on reuse.",
                f"The {x.office} sets the order of release using resident requests, the value of the data "
                "and the effort needed to publish it.",
                "Before a data set is published, the coordinator checks it for personal information and removes "
                "or aggregates any that is found."]),
        ("h2", "4. Reporting"),
        ("p", f"Every year the {x.office} reports to the City Council on the number of data sets published, the "
              "data sets still awaiting release and the requests received from the public, and recommends "
              "changes to this policy where needed."),
    ])


def odp_executive_order(x: Ctx) -> Doc:
    phrase = "establish an open data policy"
    return Doc(f"Executive Order No. {x.policy_year}-{x.policy_no:02d}: Open Data", phrase, [
        ("p", f"Office of the Mayor, City of {x.city}. Signed {x.date(x.policy_year)}."),
        ("p", "WHEREAS the City collects and maintains a large amount of data in the course of delivering "
              "services, and that data belongs to the public it serves;"),
        ("p", "WHEREAS making data freely available improves transparency, helps departments work together, and "
              "allows residents, journalists and businesses to find new uses for it;"),
        ("p", "WHEREAS departments today publish data in inconsistent ways, and residents cannot easily tell what "
              "data exists;"),
        ("p", f"NOW, THEREFORE, I, {x.mayor}, Mayor of the City of {x.city}, by the authority vested in me, do "
              f"hereby {phrase} for all departments under my direction, and order as follows:"),
        ("ul", ["Section 1. Each department shall complete an inventory of the data it holds within 180 days and "
                "shall update it annually.",
                "Section 2. Data that is not protected by law shall be published online in an open, "
                "machine-readable format, with documentation, and kept up to date.",
                f"Section 3. The {x.office} shall issue technical standards for publication and shall "
                "coordinate the work of departmental data coordinators.",
                "Section 4. Nothing in this order requires the release of data that is confidential, "
                "personally identifiable, or that would endanger public safety.",
                "Section 5. This order takes effect immediately and remains in effect until amended or "
                "rescinded."]),
    ])


def odp_ordinance(x: Ctx) -> Doc:
    r = x.rng
    art = r.choice(["VII", "IX", "XII", "XIV"])
    sec = r.randrange(200, 480)
    phrase = "public data sets shall be made available"
    return Doc(f"Article {art}. Open Data", phrase, [
        ("p", f"Code of Ordinances of the City of {x.city}, Chapter 2 (Administration). Added by Ord. No. "
              f"{x.policy_year}-{x.policy_no + 10}, adopted {x.date(x.policy_year)}."),
        ("h2", f"Sec. 2-{sec}. Purpose."),
        ("p", "The purpose of this article is to make the data of the City available to the public in a "
              "timely, complete and usable way, and to set the duties of city agencies in doing so."),
        ("h2", f"Sec. 2-{sec + 1}. Definitions."),
        ("p", "Public data set means any data maintained by an agency in electronic form that is not exempt from "
              "disclosure under the state public records act. Machine-readable format means a format that a "
              "computer can process without human intervention and that is not proprietary."),
        ("h2", f"Sec. 2-{sec + 2}. Publication."),
        ("p", f"(a) All {phrase} on a single web portal maintained by the City, in a machine-readable format, "
              "free of charge and without registration. (b) Each agency shall keep its public data sets current "
              "and shall state how often each is updated. (c) Agencies shall not remove a published data set "
              "without public notice."),
        ("h2", f"Sec. 2-{sec + 3}. Compliance plan and annual report."),
        ("p", "The city manager shall adopt a compliance plan that lists the public data sets of each agency and "
              "the date by which each will be published, and shall report annually to the council on progress "
              "under the plan."),
    ])


def odp_faq(x: Ctx) -> Doc:
    phrase = "requires every department to publish"
    return Doc("Open Data Policy: Questions and Answers", phrase, [
        ("p", f"In {x.policy_year} the City of {x.city} adopted an open data policy. It {phrase} the data it "
              "collects, unless the law protects it, so that anyone can use it without asking permission."),
        ("h2", "What data does the policy cover?"),
        ("p", "Any information a department keeps in electronic form: service requests, permits, inspections, "
              "budgets, contracts and much more. Records about individual people, and data that could put "
              "public safety at risk, are excluded."),
        ("h2", "Who makes sure departments follow it?"),
        ("p", f"The {x.office} coordinates the program. Each department has a data coordinator who keeps "
              "an inventory of the department's data and plans what to release next."),
        ("h2", "How can I ask for a data set?"),
        ("p", "Use the data request form. Requests are reviewed every month and the answer is posted online, "
              "including the reason when a data set cannot be released."),
    ])


# ==================================================================================== open_data_portal
def portal_program(x: Ctx, with_policy: bool = False) -> Doc:
    c = x.c
    phrase = "datasets you can search, download and reuse"
    blocks: list[Block] = [
        ("p", f"The City of {x.city} open data portal offers {x.datasets:,} {phrase}. Data is updated on a "
              "regular schedule, most of it nightly, and every dataset comes with a description of its fields."),
        ("h2", "What you will find"),
        ("ul", [f"{d}: data published by the department" for d in x.depts[:4]]),
        ("h2", "Ways to use the data"),
        ("ul", ["View tables, charts and maps in your browser", "Download files in CSV, JSON or GeoJSON",
                "Connect applications through the portal's API"]),
    ]
    if with_policy:
        blocks += [("h2", "Our commitment"),
                   ("p", f"Under the City's open data policy, adopted in {x.policy_year}, every department must "
                         "publish the public data it holds on the portal and keep it current.")]
    blocks.append(("p", f"The portal is at https://{c.portal_host}/ and is free to use without an account."
                   if c.portal_host else "The portal is free to use without an account."))
    return Doc("Open Data Program", phrase, blocks)


def portal_explore(x: Ctx) -> Doc:
    phrase = "free to download"
    top = x.rng.sample(["Building Permits", "311 Service Requests", "Crime Incidents", "Restaurant Inspections",
                        "Street Trees", "Traffic Crashes", "Vendor Payments", "Zoning Districts"], 4)
    return Doc("Explore City Data", phrase, [
        ("p", f"Curious how many potholes were filled last month, or where new homes are being built? The City of "
              f"{x.city} publishes {x.datasets:,} datasets on its open data portal. All of them are {phrase} and "
              "reuse, with no sign-up required."),
        ("h2", "Most viewed datasets"),
        ("ul", top),
        ("h2", "Can't find what you need?"),
        ("p", "Suggest a dataset through the portal's feedback form. The data team answers every request within "
              "ten business days."),
    ])


def portal_catalog(x: Ctx) -> Doc:
    """For a city without a portal platform: a catalog page on its own website."""
    phrase = "download city datasets"
    rows = [[name, dept, freq] for name, dept, freq in [
        ("Building permits issued", "Planning and Development", "Weekly"),
        ("Service requests", "311 Customer Service", "Daily"),
        ("Adopted budget by line item", "Budget Office", "Yearly")]]
    return Doc("Open Data Catalog", phrase, [
        ("p", f"On this page you can {phrase} of the City of {x.city} as CSV files. Each file has a data "
              "dictionary and is published under an open license."),
        ("table", ["Dataset", "Department", "Updated"], rows),
        ("p", "More datasets are added as departments complete their data inventories."),
    ])


def portal_annual_report(x: Ctx) -> Doc:
    before = max(5, x.datasets - x.rng.randrange(5, 60))
    phrase = "datasets published on the open data portal"
    return Doc("Open Data Annual Report 2025", phrase, [
        ("p", f"City of {x.city} - {x.office}."),
        ("h2", "Highlights"),
        ("p", f"The number of {phrase} grew from {before:,} to {x.datasets:,} during 2025. Visitors viewed "
              f"datasets {x.rng.randrange(20, 400) * 1000:,} times and downloaded them "
              f"{x.rng.randrange(5, 90) * 1000:,} times."),
        ("h2", "New this year"),
        ("ul", [f"{d} data now refreshed nightly" for d in x.depts[:3]]),
        ("h2", "Next steps"),
        ("p", "In 2026 the data team will automate the remaining manual updates and publish an inventory of "
              "every city data system, including those whose data cannot be released."),
    ])


# ==================================================================================== performance_reporting
def perf_dashboard(x: Ctx) -> Doc:
    r = x.rng
    phrase = "key performance indicators"
    goals = [("Safe neighborhoods", "Average police response time to priority calls (minutes)", "6.1", "6.0"),
             ("Reliable infrastructure", "Lane miles resurfaced", str(r.randrange(20, 90)), "60"),
             ("Responsive services", "311 requests closed on time", f"{x.pct(70, 97)}%", "90%"),
             ("Thriving economy", "Business licenses issued within 10 days", f"{x.pct(60, 99)}%", "85%"),
             ("Healthy environment", "Residential waste diverted from landfill", f"{x.pct(20, 45)}%", "40%")]
    rows = [[g, m, a, t, r.choice(["On track", "Needs attention", "Off track"])] for g, m, a, t in goals]
    return Doc("Performance Dashboard", phrase, [
        ("p", f"The dashboard follows the {phrase} of the City of {x.city} strategic plan. Each measure has a "
              "target set with the City Council; results are refreshed every month."),
        ("table", ["Goal", "Measure", "Current", "Target", "Status"], rows),
        ("p", "Select a measure to see its history since 2019, how it is calculated, and which department is "
              "responsible for it."),
    ])


def perf_stat(x: Ctx) -> Doc:
    name = x.city.split()[0] + "Stat"
    phrase = "performance review meetings"
    return Doc(name, phrase, [
        ("p", f"{name} is the City of {x.city}'s program of monthly {phrase}. The city manager and department "
              "directors look at the latest data on each department's goals, discuss what is working and what "
              "is not, and agree on follow-up actions."),
        ("h2", "Recent sessions"),
        ("ul", [f"{d}: overtime and response times" for d in x.depts[:2]]
               + [f"{x.depts[2]}: backlog of open service requests"]),
        ("p", "Slides and follow-up memos from each session are posted within two weeks. Measures, targets and "
              "quarterly results are published on the performance page."),
    ])


def perf_annual_report(x: Ctx) -> Doc:
    r = x.rng
    met = r.randrange(40, 70)
    total = met + r.randrange(10, 30)
    phrase = "met or exceeded"
    rows = [[d, str(r.randrange(4, 12)), f"{x.pct(50, 100)}%"] for d in x.depts[:5]]
    return Doc("Annual Performance Report, Fiscal Year 2025", phrase, [
        ("p", f"City of {x.city}. Prepared by the {x.office} for the Mayor and City Council."),
        ("h2", "Summary"),
        ("p", f"Of {total} performance measures tracked in fiscal year 2025, the City {phrase} its target on "
              f"{met}. The sections that follow report each department's measures, the trend over five years, "
              "and the steps planned where targets were missed."),
        ("table", ["Department", "Measures", "Targets met"], rows),
        ("h2", "How to read this report"),
        ("p", "Each measure shows the result for the year, the target, and the result of the two previous years. "
              "A measure is counted as met when the result is within two percent of the target."),
    ])


# ==================================================================================== evaluation
def eval_rct(x: Ctx) -> Doc:
    label, _, outcome = x.program
    n = x.rng.randrange(8, 40) * 100
    phrase = "randomized controlled trial"
    return Doc("Program Evaluation", phrase, [
        ("p", f"The {x.office} tests whether city programs work before they are expanded. When a program "
              f"cannot serve everyone at once, we use a {phrase}: eligible participants are assigned at random "
              "to receive the program now or later, and the two groups are compared."),
        ("h2", f"Current study: {label}"),
        ("p", f"{n:,} participants were enrolled. Half received the program; half continued as before. The "
              f"study measures the effect on {outcome}. The analysis plan was published before any results were "
              "seen."),
        ("h2", "Completed evaluations"),
        ("ul", [f"Mailed reminders for {x.depts[0]} services: {x.pct(3, 15)}% increase in on-time responses",
                f"Redesigned {x.depts[1]} application form: no measurable effect; the old form was kept"]),
        ("p", "Every evaluation report is published here, including those that found no effect."),
    ])


def eval_comparison(x: Ctx) -> Doc:
    label, _, outcome = x.program
    phrase = "comparison group"
    return Doc(f"Evaluating {label.title()}", phrase, [
        ("p", f"In 2025 the City of {x.city} partnered with a university research team to evaluate its "
              f"{label} program. Because the program could not be assigned at random, the team built a "
              f"{phrase} of similar residents who applied in the same year but were not served."),
        ("h2", "What we found"),
        ("p", f"Participants had {x.pct(5, 25)}% better results on {outcome} than the {phrase} after one year. "
              "The difference was larger for residents who completed the full program."),
        ("h2", "What happens next"),
        ("p", "The City Council used the findings in the 2026 budget, which expands the program by 200 slots. "
              "A follow-up study will check whether the effect lasts."),
    ])


def eval_policy(x: Ctx) -> Doc:
    phrase = "learning agenda"
    return Doc("Evaluation Policy and Learning Agenda", phrase, [
        ("p", f"The City of {x.city} expects new programs to show results. Under the evaluation policy adopted "
              f"in {x.policy_year + 1}, any new program or pilot costing more than $250,000 needs an evaluation "
              "plan before it starts."),
        ("h2", f"Our {phrase}"),
        ("p", f"The {phrase} lists the questions the City most needs answered, and the evaluations that will "
              "answer them over the next three years:"),
        ("ul", ["Do proactive housing inspections reduce repeat code violations?",
                f"Which outreach methods raise enrollment in {x.depts[0]} programs?",
                "Does adding a co-responder to 911 mental health calls reduce arrests and repeat calls?"]),
        ("p", "Evaluation results, positive or not, are published within 90 days of completion."),
    ])


def eval_report(x: Ctx) -> Doc:
    label, _, outcome = x.program
    phrase = "evaluation design"
    return Doc(f"Final Evaluation Report: {label.title()}", phrase, [
        ("p", f"City of {x.city}, {x.office}. Report date: {x.date(2025)}."),
        ("h2", "1. Question"),
        ("p", f"Did the {label} program change {outcome} for the residents it served?"),
        ("h2", "2. Evaluation design"),
        ("p", f"The {phrase} was a randomized controlled trial with {x.rng.randrange(6, 30) * 100:,} "
              "participants. Assignment was done by lottery among eligible applicants; outcomes were taken from "
              "administrative records twelve months later."),
        ("h2", "3. Results"),
        ("p", f"The program group did {x.pct(4, 20)}% better than the control group. The effect is "
              "statistically significant at the 5% level."),
        ("h2", "4. Recommendations"),
        ("p", "Continue the program, expand it to the waiting list, and repeat the measurement after two years."),
    ])


# ==================================================================================== data_governance
def dg_cdo(x: Ctx) -> Doc:
    phrase = "Chief Data Officer"
    return Doc(f"Office of the {phrase}", phrase, [
        ("p", f"{x.cdo} serves as the {phrase} of the City of {x.city}, reporting to the city manager. The office "
              "sets the rules for how city data is collected, stored, shared and retired."),
        ("h2", "What the office does"),
        ("ul", ["Chairs the Data Governance Committee, with a data steward from every department",
                "Maintains the citywide data inventory and the data classification standard",
                "Approves data sharing agreements with outside agencies and researchers",
                "Sets data quality checks for the systems that feed public reports"]),
        ("p", f"Contact the office at data@{(x.c.website_host or 'city.example').removeprefix('www.')}."),
    ])


def dg_committee(x: Ctx) -> Doc:
    phrase = "Data Governance Committee"
    members = [[d, x.person()] for d in x.depts[:5]]
    return Doc("Data Governance", phrase, [
        ("p", f"The {phrase} of the City of {x.city} decides how data is managed across departments. It was "
              f"established in {x.policy_year + 1} and meets every other month."),
        ("table", ["Department", "Data steward"], members),
        ("h2", "Decisions this year"),
        ("ul", ["Adopted a four-level data classification standard (public, internal, confidential, restricted)",
                "Approved a template for data sharing agreements",
                "Set a schedule for reviewing the data inventory each spring"]),
    ])


def dg_standards(x: Ctx) -> Doc:
    phrase = "data stewards"
    return Doc("Data Management Program", phrase, [
        ("p", f"Good decisions depend on good data. The data management program of the City of {x.city} assigns "
              f"{phrase} in every department who are responsible for the quality, documentation and security of "
              "their department's data."),
        ("h2", "Standards"),
        ("ul", ["Every data system is listed in the citywide data inventory with an owner and a steward",
                "Addresses and dates follow common formats so data can be combined across departments",
                "Data is classified before it is shared, and sharing with outside parties needs a signed agreement",
                "Records are kept and destroyed according to the retention schedule"]),
        ("p", f"The program is run by the {x.office}."),
    ])


def dg_charter(x: Ctx) -> Doc:
    phrase = "data governance framework"
    return Doc("Data Governance Charter", phrase, [
        ("p", f"City of {x.city}. Approved by the City Manager, {x.date(x.policy_year + 1)}."),
        ("h2", "Purpose"),
        ("p", f"This charter establishes the {phrase} of the City: who decides how data is managed, how "
              "decisions are made, and how they are carried out."),
        ("h2", "Roles"),
        ("ul", [f"Chief Data Officer: chairs the Data Governance Committee ({x.cdo})",
                "Data Governance Committee: approves standards, resolves disputes about data",
                "Data owners: department directors accountable for their data",
                "Data stewards: staff who maintain quality and documentation"]),
        ("h2", "Scope"),
        ("p", "All data created, collected or maintained by city departments, in any system or format."),
    ])


def dg_resolution(x: Ctx) -> Doc:
    phrase = "data governance committee"
    return Doc(f"Resolution No. {x.policy_year + 1}-{x.policy_no + 40}: Data Governance", phrase, [
        ("p", f"A resolution of the City Council of the City of {x.city} establishing a {phrase} and directing "
              "the city manager to appoint a chief data officer."),
        ("p", "WHEREAS data held by the City is a strategic asset whose value depends on its quality, "
              "documentation and security; and"),
        ("p", "WHEREAS no single body currently sets standards for data across departments;"),
        ("p", f"NOW, THEREFORE, BE IT RESOLVED that a {phrase} is established, with one data steward from "
              "each department, to adopt data standards and oversee the citywide data inventory."),
    ])


# ==================================================================================== results_driven_contracting
def rdc_main(x: Ctx) -> Doc:
    phrase = "results-driven contracting"
    return Doc("Results-Driven Contracting", phrase, [
        ("p", f"The Purchasing Division of the City of {x.city} uses {phrase} for its most important service "
              "contracts. Instead of describing only the tasks a vendor must perform, we define the results the "
              "City wants and measure whether they are achieved."),
        ("h2", "How it works"),
        ("ul", ["Before a solicitation, the department and Purchasing agree on the outcomes the contract should "
                "produce and how they will be measured.",
                "Requests for proposals ask vendors how they will reach those outcomes, and proposals are scored "
                "on it.",
                "Contracts include performance metrics, reporting requirements and, where useful, payments tied to "
                "results.",
                "Department staff meet vendors regularly to review the data and fix problems early."]),
        ("p", f"In fiscal year 2025, {x.rng.randrange(6, 30)} contracts worth "
              f"${x.rng.randrange(4, 60)} million were managed this way."),
    ])


def rdc_outcomes(x: Ctx) -> Doc:
    phrase = "tied to measurable outcomes"
    return Doc("Outcomes-Based Contracting", phrase, [
        ("p", f"When the City of {x.city} buys social services, part of the vendor's payment is {phrase}. "
              "For example, the workforce training contract pays a base fee per participant and a bonus for each "
              "participant still employed six months after placement."),
        ("h2", "Contracts using this approach"),
        ("table", ["Service", "Outcome measured", "Share of payment at risk"],
         [["Workforce training", "Employment retained at 6 months", f"{x.pct(10, 30)}%"],
          ["Homeless outreach", "Placements into housing", f"{x.pct(10, 25)}%"],
          ["Youth mentoring", "School attendance", f"{x.pct(5, 20)}%"]]),
        ("p", "Vendors report results quarterly; Purchasing publishes the results of each contract."),
    ])


def rdc_acm(x: Ctx) -> Doc:
    phrase = "active contract management"
    return Doc("Contract Performance", phrase, [
        ("p", f"For its largest service contracts the City of {x.city} practices {phrase}: each month, city "
              "staff and the vendor review performance data together, agree on what needs to change, and follow "
              "up at the next meeting."),
        ("h2", "Contracts under review"),
        ("table", ["Contract", "Key measure", "Latest result"],
         [["Street light repair", "Outages fixed within 5 days", f"{x.pct(60, 98)}%"],
          ["Solid waste collection", "Missed pickups per 10,000", str(x.rng.randrange(2, 15))],
          ["Senior meals", "Meals delivered on schedule", f"{x.pct(80, 99)}%"]]),
        ("p", "Results are published each quarter and used when contracts come up for renewal."),
    ])


def rdc_rfp(x: Ctx) -> Doc:
    num = f"2026-{x.rng.randrange(10, 99):03d}"
    phrase = "outcome-based payment"
    return Doc(f"Request for Proposals No. {num}: Workforce Development Services", phrase, [
        ("p", f"City of {x.city}, Purchasing Division. Proposals due {x.date(2026)} at 2:00 p.m."),
        ("h2", "1. Outcomes sought"),
        ("ul", ["At least 300 residents enrolled in training each year",
                "70% of enrollees complete a credential",
                "60% of completers employed six months after completion"]),
        ("h2", "2. Payment"),
        ("p", f"This contract uses {phrase}: 75% of the annual amount is paid monthly as a base fee and 25% is "
              "paid only when the outcomes above are verified in state wage records."),
        ("h2", "3. Performance management"),
        ("p", "The vendor will meet with city staff monthly to review enrollment, completion and placement data."),
    ])


# ==================================================================================== stakeholder_engagement
def se_survey(x: Ctx) -> Doc:
    r = x.rng
    n = r.randrange(8, 30) * 100
    phrase = "resident survey"
    rows = [[s, f"{x.pct(45, 90)}%"] for s in ("Fire and emergency services", "Parks and recreation",
                                                 "Street maintenance", "Code enforcement", "Public library")]
    return Doc("Community Survey Results", phrase, [
        ("p", f"More than {n:,} households answered the 2025 {phrase}, which asks people who live in {x.city} "
              "how satisfied they are with city services and what the City should focus on next."),
        ("table", ["Service", "Satisfied or very satisfied"], rows),
        ("h2", "How the results are used"),
        ("p", "Street maintenance and housing costs were the top priorities named by residents. Department "
              "directors used the results to set targets in the 2026 budget, and the survey will be repeated "
              "every two years so progress can be tracked."),
    ])


def se_pb(x: Ctx) -> Doc:
    phrase = "participatory budgeting"
    votes = x.rng.randrange(15, 90) * 100
    return Doc("Participatory Budgeting", phrase, [
        ("p", f"Through {phrase}, residents of {x.city} decide directly how to spend $"
              f"{x.rng.randrange(5, 30) * 100_000:,} of the capital budget. Anyone 14 or older who lives, works "
              "or goes to school in the city can propose ideas and vote."),
        ("h2", "This year's cycle"),
        ("ul", ["Idea collection at neighborhood meetings and online", "Volunteer delegates develop proposals with "
                "city staff", f"{votes:,} residents voted in the spring election", "Winning projects are funded in "
                "the next budget and tracked online until they are finished"]),
    ])


def se_academy(x: Ctx) -> Doc:
    phrase = "data academy"
    return Doc("Community Data Academy", phrase, [
        ("p", f"The {phrase} of the City of {x.city} offers free evening workshops where residents learn to find, "
              "read and question city data, and where city staff hear what data the community wants."),
        ("h2", "Workshops"),
        ("ul", ["Finding data on the city website", "Reading a budget", "Making maps of your neighborhood",
                "Asking good questions of data"]),
        ("p", f"Feedback from participants shaped the {x.office}'s publishing plan for next year. In 2025, "
              f"{x.rng.randrange(60, 400)} residents took part."),
    ])


def se_report(x: Ctx) -> Doc:
    n = x.rng.randrange(8, 30) * 100
    phrase = "statistically valid"
    return Doc("Community Survey Report 2025", phrase, [
        ("p", f"Prepared for the City of {x.city}."),
        ("h2", "Method"),
        ("p", f"The survey was mailed to a random sample of households and completed by {n:,} residents. The "
              f"results are {phrase} for the city as a whole, with a margin of error of plus or minus "
              f"{x.rng.randrange(2, 4)} percentage points."),
        ("h2", "Key findings"),
        ("ul", [f"{x.pct(60, 85)}% rate the overall quality of city services as good or excellent",
                "Condition of streets is the top priority for improvement",
                f"{x.pct(30, 60)}% feel they have a voice in city decisions"]),
        ("p", "Results by council district and by service follow in the appendix."),
    ])


# ==================================================================================== hard negatives
def neg_bonds(x: Ctx) -> Doc:
    phrase = "performance bond"
    return Doc("Bid Requirements and Bonds", phrase, [
        ("p", "Bidders on public works contracts over $100,000 must include a bid bond of 5% of the bid amount. "
              f"The successful bidder must furnish a {phrase} and a payment bond, each equal to 100% of the "
              "contract price, from a surety licensed in the state, before the contract is signed."),
        ("h2", "Insurance"),
        ("p", "Contractors must carry general liability insurance of at least $1,000,000 per occurrence and name "
              f"the City of {x.city} as an additional insured."),
        ("h2", "Evaluation of bids"),
        ("p", "Bids are opened in public and the contract is awarded to the lowest responsive and responsible "
              "bidder. Contractor performance on past city projects may be considered."),
    ])


def neg_bond_form(x: Ctx) -> Doc:
    phrase = "performance bond"
    return Doc("Performance Bond Form", phrase, [
        ("p", f"KNOW ALL PERSONS BY THESE PRESENTS that the Contractor and the Surety are held and firmly bound "
              f"unto the City of {x.city} in the penal sum stated below, for which payment the Contractor and "
              "Surety bind themselves, their heirs and successors."),
        ("p", f"This {phrase} is conditioned on the Contractor's faithful performance of the contract "
              "identified below. If the Contractor performs all obligations, this bond is void."),
        ("p", "Contract number: ______  Penal sum: $______  Surety: ______"),
    ])


def neg_concerts(x: Ctx) -> Doc:
    phrase = "concert"
    acts = x.rng.sample(["The Riverside Horns", "Maple Street Bluegrass", "Los Vientos", "The Night Owls",
                         "Harbor City Swing Band", "Crescent Jazz Trio"], 4)
    return Doc("Summer Concert Series", phrase, [
        ("p", f"Bring a blanket! Free {phrase} performances take place every Thursday at 7 p.m. in the park "
              "band shell from June through August."),
        ("table", ["Date", "Performer"], [[f"July {3 + 7 * k}", a] for k, a in enumerate(acts)]),
        ("p", "Food trucks arrive at 6 p.m. In case of rain, performances move to the community center."),
    ])


def neg_hr_evaluations(x: Ctx) -> Doc:
    phrase = "performance evaluation"
    return Doc("Employee Performance Evaluations", phrase, [
        ("p", f"Every employee of the City of {x.city} receives an annual {phrase} from their supervisor. "
              "Probationary employees are also evaluated at three and six months."),
        ("h2", "Process"),
        ("ul", ["Employee completes a self-assessment", "Supervisor rates each competency on a five-point scale",
                "Employee and supervisor meet to discuss goals for the coming year",
                "Signed forms are sent to Human Resources by June 30"]),
        ("p", "Questions about evaluation forms should be directed to your department's HR liaison."),
    ])


def neg_breach(x: Ctx) -> Doc:
    phrase = "data security incident"
    return Doc("Notice of Data Security Incident", phrase, [
        ("p", f"On {x.date(2026, upto=9)}, the City of {x.city} learned of a {phrase} involving a vendor that processes "
              "online parking payments. An unauthorized party may have accessed names and the last four digits "
              "of payment card numbers."),
        ("h2", "What we are doing"),
        ("p", "The City notified law enforcement, ended the vendor's access, and is offering affected residents "
              "one year of free credit monitoring. Letters were mailed to everyone whose data may be involved."),
        ("p", "If you have questions, call the incident response line, Monday to Friday, 8 a.m. to 6 p.m."),
    ])


def neg_land_survey(x: Ctx) -> Doc:
    phrase = "survey monuments"
    return Doc("Land Surveying", phrase, [
        ("p", f"The City Surveyor maintains the network of {phrase} and benchmarks used to locate property lines "
              "and public rights-of-way, and reviews plats and boundary surveys submitted with development "
              "applications."),
        ("h2", "Records available"),
        ("ul", ["Recorded plats and boundary surveys", "Benchmark elevations", "Right-of-way maps"]),
        ("p", "Copies of survey records can be requested at the Public Works counter."),
    ])


def neg_assessment(x: Ctx) -> Doc:
    phrase = "assessed value"
    return Doc("Property Assessment FAQ", phrase, [
        ("h2", "Who assesses my property?"),
        ("p", "Property is assessed by the County Assessor, not by the City. The City sets its tax rate; the "
              f"county sets the {phrase} of each parcel."),
        ("h2", "How do I appeal my assessment?"),
        ("p", "Appeals are filed with the county board of equalization within 45 days of the date on your "
              "assessment notice."),
        ("h2", "Why did my tax bill change?"),
        ("p", "Bills change when the assessed value, the exemptions you qualify for, or the rates of any taxing "
              "district change."),
    ])


def neg_job(x: Ctx) -> Doc:
    phrase = "Data Entry Clerk"
    return Doc(f"Job Posting: {phrase}", phrase, [
        ("dl", [("Department", x.depts[0]), ("Salary", f"${x.rng.randrange(36, 44)},{x.rng.randrange(100, 999)} "
                                                         "per year"), ("Closes", x.date(2026))]),
        ("p", f"The {phrase} enters and verifies information from permit applications, invoices and service "
              "forms, files records, and answers telephone inquiries."),
        ("h2", "Minimum qualifications"),
        ("ul", ["High school diploma or equivalent", "Typing speed of 45 words per minute",
                "One year of clerical experience"]),
    ])


def neg_records(x: Ctx) -> Doc:
    phrase = "public records request"
    return Doc("Public Records Requests", phrase, [
        ("p", f"Anyone may ask to inspect or copy records of the City of {x.city} under the state public records "
              f"act. Submit a {phrase} online, by email or in person at the City Clerk's office."),
        ("h2", "Fees and timelines"),
        ("p", "The Clerk responds within five business days. Copies cost 10 cents per page; electronic records "
              "are usually free. Some records are exempt by law, such as personnel files and open investigations."),
    ])


def neg_permit_portal(x: Ctx) -> Doc:
    phrase = "permit portal"
    return Doc("Online Permit Portal", phrase, [
        ("p", f"Apply for building, electrical and plumbing permits, pay fees and schedule inspections through the "
              f"online {phrase}. You will need an account to submit an application."),
        ("h2", "Having trouble logging in?"),
        ("p", "Reset your password from the login screen, or call the permit center for help."),
    ])


def neg_budget_appendix(x: Ctx) -> Doc:
    phrase = "Capital Improvement Plan"
    rows = [[p, f"${x.rng.randrange(1, 40) * 100_000:,}"] for p in
            ("Fire station roof", "Water main replacement", "Park restroom", "Traffic signal upgrades")]
    return Doc("Capital Improvement Plan 2026-2030: Appendices", phrase, [
        ("p", f"City of {x.city}. The {phrase} lists the capital projects planned over the next five years."),
        ("table", ["Project", "Estimated cost"], rows),
    ])


def neg_agenda(x: Ctx) -> Doc:
    phrase = "release of performance bond"
    return Doc("City Council Regular Meeting Agenda", phrase, [
        ("p", f"City of {x.city}. Council Chambers, 6:00 p.m., {x.date(2026, upto=9)}."),
        ("ul", ["1. Call to order and roll call", "2. Approval of minutes",
                f"3. Consent agenda: {phrase} for Meadow View subdivision, phase 2",
                "4. Public hearing: rezoning of 1200 Commerce Drive",
                "5. Award of contract for boundary survey of the municipal airport",
                "6. Adjournment"]),
    ])


def neg_subdivision_code(x: Ctx) -> Doc:
    phrase = "performance guarantee"
    return Doc("Chapter 18. Subdivisions", phrase, [
        ("p", f"Code of Ordinances of the City of {x.city}."),
        ("h2", "Sec. 18-52. Improvements; guarantee."),
        ("p", f"Before a final plat is recorded, the subdivider shall complete the required improvements or "
              f"furnish a {phrase} in the form of a bond or letter of credit equal to 125% of the estimated cost."),
        ("h2", "Sec. 18-53. Survey requirements."),
        ("p", "Every plat shall be based on a boundary survey sealed by a licensed land surveyor."),
    ])


# ==================================================================================== hubs
def hub_government(x: Ctx) -> Doc:
    phrase = "how the City is governed"
    return Doc("Government", phrase, [
        ("p", f"Learn {phrase}: the Mayor and City Council, the city manager, boards and commissions, and how "
              f"to take part in decisions. The City of {x.city} is led by Mayor {x.mayor} and City Manager "
              f"{x.manager}."),
    ])


def hub_transparency(x: Ctx) -> Doc:
    title = x.rng.choice(["Transparency and Accountability", "Open Government", "Transparency Center"])
    phrase = "how your city government works"
    return Doc(title, phrase, [
        ("p", f"Residents deserve to see {phrase}, how it spends money and how well it delivers services. "
              "Reports, policies and records are collected below."),
    ])


def hub_procurement(x: Ctx) -> Doc:
    phrase = "bid opportunities"
    return Doc("Purchasing and Contracts", phrase, [
        ("p", f"The Purchasing Division buys the goods and services city departments need. Register as a vendor "
              f"to receive notices of {phrase}. Purchasing Manager: {x.purchasing}."),
        ("table", ["Solicitation", "Closes"], [["ITB 2026-041 Sidewalk repairs", x.date(2026)],
                                               ["RFQ 2026-044 Janitorial services", x.date(2026)]]),
    ])


def hub_hr(x: Ctx) -> Doc:
    phrase = "benefits, training and jobs"
    return Doc("Human Resources", phrase, [
        ("p", f"Human Resources supports the employees of the City of {x.city}: recruitment, {phrase}, and "
              "employee relations."),
    ])


def hub_calendar(x: Ctx) -> Doc:
    phrase = "Meeting Calendar"
    return Doc(f"City of {x.city} - {phrase}", phrase, [
        ("table", ["Meeting", "Date", "Location"],
         [["City Council Regular Meeting", x.date(2026), "Council Chambers"],
          ["Planning Commission", x.date(2026), "Council Chambers"]]),
    ])


def hub_code(x: Ctx) -> Doc:
    phrase = "Code of Ordinances"
    return Doc(f"{x.city} - {phrase}", phrase, [
        ("p", f"{phrase} of the City of {x.city}, codified through ordinances adopted in 2026."),
    ])


def draft_banner(doc: Doc) -> Doc:
    """The staff-only working copy of a document (for pages under /private/)."""
    return Doc(f"DRAFT - {doc.title}", doc.phrase,
               [("p", "Internal working draft for staff review. Not for distribution.")] + doc.blocks)
