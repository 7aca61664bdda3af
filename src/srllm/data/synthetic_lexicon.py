"""Lexicons for the synthetic rewrite pairs (srllm.data.synthetic), written for srllm.

Per demographic axis: clusters of target groups (plural and singular forms) with the negative
stereotypes commonly attributed to them, each stereotype with a neutral *topic* the benign
rewrite talks about instead. Plus violent phrases (threat verbs with an object slot), mild
insults (no slurs), and a built-in list of (male, female) word pairs for gender swapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TraitKind = Literal["adj", "np", "pred"]


@dataclass(frozen=True)
class Trait:
    """A stereotype attribute.

    kind: "adj" fits "are so {trait}" / "has been {trait}"; "np" is a plural noun phrase and
    "pred" a verb phrase, both fitting only "are {trait}"/"they're {trait}".
    topic: a singular noun phrase the benign rewrite is about ("work ethic" for "lazy").
    insult: name-calling (toxicity Mild); harm: Medium for claims of danger or criminality.
    """

    text: str
    topic: str
    kind: TraitKind = "adj"
    insult: bool = False
    harm: str = "Low"


@dataclass(frozen=True)
class Group:
    plural: str  # "Muslims", used with "are"
    singular: str  # "a Muslim", with its article

    @property
    def noun(self) -> str:
        """The singular without its article ("Muslim"), for "every {noun}" / "the {noun} next door"."""
        return self.singular.split(" ", 1)[1]


@dataclass(frozen=True)
class Cluster:
    """Groups of one axis that share a set of stereotypes."""

    groups: tuple[Group, ...]
    traits: tuple[Trait, ...]
    families: tuple[str, ...] = ()  # the template families it fits; empty: all


@dataclass(frozen=True)
class Violence:
    """A threat phrase with an {obj} slot, and its violent words (which occur in it verbatim)."""

    pattern: str
    words: tuple[str, ...]
    noun_obj: bool = False  # needs a noun object: "beat up them" and "the homes of them" do not read


def _groups(*pairs: tuple[str, str]) -> tuple[Group, ...]:
    return tuple(Group(p, s) for p, s in pairs)


def adj(text: str, topic: str, **kw) -> Trait:
    return Trait(text, topic, "adj", **kw)


def np_(text: str, topic: str, **kw) -> Trait:
    return Trait(text, topic, "np", **kw)


def pred(text: str, topic: str, **kw) -> Trait:
    return Trait(text, topic, "pred", **kw)


M = "Medium"
#: Family roles (mothers, fathers) read oddly as targets of street violence.
ROLE_FAMILIES = ("stereotype", "exclusion")
_WOMEN = (adj("too emotional to lead", "leadership ability"), adj("bad at math", "skill at math"),
          np_("terrible drivers", "driving skill"), adj("manipulative", "honesty"),
          adj("materialistic", "attitude to money"), adj("hysterical", "composure", insult=True),
          adj("weak", "physical strength"), adj("catty and jealous", "teamwork"),
          adj("useless in a crisis", "composure under pressure"), adj("bad at science", "scientific ability"))
_MEN = (adj("violent", "temperament", harm=M), np_("pigs", "respect for others", insult=True),
        adj("useless at parenting", "parenting skill"), adj("emotionally stunted", "emotional awareness"),
        adj("lazy around the house", "share of the housework"), np_("predators", "trustworthiness", harm=M),
        adj("arrogant", "humility"), np_("idiots", "good sense", insult=True), adj("aggressive", "temperament"),
        adj("selfish", "generosity"))

AXES: dict[str, tuple[Cluster, ...]] = {
    "age": (
        Cluster(
            _groups(("old people", "an old person"), ("elderly people", "an elderly person"), ("boomers", "a boomer"),
                    ("retirees", "a retiree"), ("pensioners", "a pensioner"),
                    ("people over sixty", "a person over sixty")),
            (adj("useless with technology", "skill with technology"), adj("senile", "mental sharpness"),
             np_("a burden on the health system", "health"), np_("terrible drivers", "driving skill"),
             adj("stuck in the past", "openness to new ideas"), adj("grumpy and bitter", "temperament"),
             adj("selfish", "generosity"), adj("too slow to keep up at work", "work pace"),
             np_("dead weight", "contribution at work", insult=True), adj("racist", "attitude to other cultures")),
        ),
        Cluster(
            _groups(("teenagers", "a teenager"), ("millennials", "a millennial"), ("Gen Z kids", "a Gen Z kid"),
                    ("young people", "a young person"), ("twenty-somethings", "a twenty-something")),
            (adj("lazy", "work ethic"), adj("entitled", "attitude to work"),
             np_("spoiled brats", "upbringing", insult=True), adj("irresponsible", "sense of responsibility"),
             adj("addicted to their phones", "screen time"),
             np_("snowflakes who can't handle criticism", "resilience", insult=True),
             adj("useless at real jobs", "job skill"), adj("reckless", "good sense"),
             adj("disrespectful", "politeness"),
             adj("stupid", "intelligence", insult=True)),
        ),
    ),
    "gender": (
        Cluster(_groups(("women", "a woman"), ("young women", "a young woman")), _WOMEN),
        Cluster(_groups(("mothers", "a mother"), ("single mothers", "a single mother"),
                        ("working mothers", "a working mother")), _WOMEN, ROLE_FAMILIES),
        Cluster(
            _groups(("girls", "a girl")),
            (adj("bad at math", "skill at math"), adj("bad at science", "scientific ability"),
             adj("too emotional", "composure"), adj("catty and jealous", "friendship"),
             adj("weak", "physical strength"),
             adj("manipulative", "honesty"), adj("vain", "humility")),
        ),
        Cluster(_groups(("men", "a man"), ("young men", "a young man")), _MEN),
        Cluster(_groups(("fathers", "a father"), ("single fathers", "a single father"),
                        ("working fathers", "a working father")), _MEN, ROLE_FAMILIES),
        Cluster(
            _groups(("boys", "a boy")),
            (adj("violent", "temperament", harm=M), adj("aggressive", "temperament"),
             np_("idiots", "good sense", insult=True),
             adj("emotionally stunted", "emotional awareness"), adj("lazy", "work ethic"),
             adj("bad at reading", "reading skill"),
             np_("bullies", "kindness", insult=True)),
        ),
        Cluster(
            _groups(("non-binary people", "a non-binary person"), ("genderqueer people", "a genderqueer person")),
            (adj("confused", "self-understanding"), np_("attention seekers", "motivation", insult=True),
             pred("just making it up", "sincerity"), adj("mentally ill", "mental health", harm=M),
             adj("annoying", "personality"), np_("a bad influence on kids", "influence on children", harm=M)),
        ),
    ),
    "sexual_orientation": (
        Cluster(
            _groups(("gay men", "a gay man"), ("lesbians", "a lesbian"), ("gay people", "a gay person"),
                    ("bisexual people", "a bisexual person"), ("queer people", "a queer person"),
                    ("homosexuals", "a homosexual")),
            (adj("unnatural", "worth"), np_("a bad influence on children", "influence on children", harm=M),
             adj("promiscuous", "dating life"), adj("confused", "self-understanding"),
             adj("incapable of a stable relationship", "relationship stability"),
             np_("a threat to family values", "commitment to family", harm=M), np_("bad parents", "parenting skill"),
             adj("sick in the head", "mental health", insult=True, harm=M), adj("greedy", "generosity"),
             adj("disgusting", "private life", insult=True)),
        ),
        Cluster(
            _groups(("trans people", "a trans person"), ("transgender women", "a transgender woman"),
                    ("transgender men", "a transgender man")),
            (adj("confused", "self-understanding"), adj("mentally ill", "mental health", harm=M),
             np_("a danger to others in bathrooms", "safety in public spaces", harm=M),
             pred("just pretending", "sincerity"), np_("attention seekers", "motivation", insult=True),
             adj("delusional", "grip on reality", insult=True),
             np_("a threat to children", "safety around children", harm=M),
             adj("fake", "authenticity", insult=True)),
        ),
    ),
    "race_ethnicity": (
        Cluster(
            _groups(("Black people", "a Black person"), ("Latinos", "a Latino"),
                    ("Hispanic people", "a Hispanic person"),
                    ("Arabs", "an Arab"), ("Native Americans", "a Native American"), ("Roma people", "a Roma person"),
                    ("Indigenous people", "an Indigenous person")),
            (adj("lazy", "work ethic"), np_("criminals", "respect for the law", harm=M),
             adj("violent", "temperament", harm=M),
             adj("dirty", "hygiene", insult=True), adj("stupid", "intelligence", insult=True),
             adj("loud and rude", "politeness"),
             adj("untrustworthy", "trustworthiness"), np_("thieves", "honesty", harm=M, insult=True),
             np_("freeloaders", "financial independence", insult=True),
             pred("always playing the victim", "response to hardship")),
        ),
        Cluster(
            _groups(("Asian people", "an Asian person"), ("East Asians", "an East Asian"),
                    ("South Asians", "a South Asian")),
            (adj("sneaky", "honesty"), adj("cold and robotic", "warmth"), np_("terrible drivers", "driving skill"),
             adj("cheap", "generosity"), adj("dirty", "hygiene", insult=True),
             pred("only good at copying", "creativity"),
             adj("untrustworthy", "trustworthiness"), adj("rude", "politeness")),
        ),
        Cluster(
            _groups(("white people", "a white person"), ("Caucasians", "a Caucasian")),
            (adj("racist", "attitude to other races"), adj("entitled", "attitude to work"),
             adj("boring", "personality"),
             adj("arrogant", "humility"), np_("privileged snobs", "humility", insult=True),
             adj("selfish", "generosity"), adj("clueless", "cultural awareness")),
        ),
    ),
    "religion": (
        Cluster(
            _groups(("Muslims", "a Muslim"), ("Jews", "a Jew"), ("Christians", "a Christian"), ("Hindus", "a Hindu"),
                    ("Sikhs", "a Sikh"), ("Catholics", "a Catholic"), ("Mormons", "a Mormon"),
                    ("evangelicals", "an evangelical")),
            (np_("extremists", "tolerance", harm=M), adj("intolerant", "tolerance"), adj("backward", "open-mindedness"),
             adj("brainwashed", "independent thinking", insult=True), np_("hypocrites", "sincerity", insult=True),
             np_("fanatics", "moderation", insult=True),
             adj("pushy about converting people", "respect for other beliefs"),
             adj("disloyal to this country", "loyalty", harm=M), adj("greedy", "generosity"),
             adj("untrustworthy", "trustworthiness"), adj("hateful", "kindness")),
        ),
        Cluster(
            _groups(("atheists", "an atheist"), ("agnostics", "an agnostic")),
            (pred("have no morals", "morality"), adj("arrogant", "humility"), adj("angry and bitter", "temperament"),
             adj("smug", "humility"), adj("empty inside", "inner life", insult=True), adj("selfish", "generosity"),
             adj("untrustworthy", "trustworthiness")),
        ),
    ),
    "disability": (
        Cluster(
            _groups(("disabled people", "a disabled person"), ("autistic people", "an autistic person"),
                    ("blind people", "a blind person"), ("deaf people", "a deaf person"),
                    ("wheelchair users", "a wheelchair user"),
                    ("people with Down syndrome", "a person with Down syndrome"),
                    ("people with ADHD", "a person with ADHD"), ("people with dyslexia", "a person with dyslexia")),
            (np_("a burden on society", "contribution to society"), adj("useless at work", "job performance"),
             pred("faking it for benefits", "honesty", harm=M), adj("helpless", "independence"),
             adj("stupid", "intelligence", insult=True), np_("a drain on taxpayers", "financial independence"),
             adj("too slow to keep up", "work pace"), adj("unemployable", "job skill"),
             adj("pathetic", "resilience", insult=True)),
        ),
        Cluster(
            _groups(("people with mental illness", "a person with a mental illness"),
                    ("people with schizophrenia", "a person with schizophrenia"),
                    ("people with depression", "a person with depression")),
            (adj("dangerous and unpredictable", "temperament", harm=M), adj("weak", "strength of character"),
             pred("faking it for attention", "sincerity", harm=M), np_("psychos", "mental health", insult=True, harm=M),
             adj("lazy", "work ethic"), adj("unreliable", "reliability"),
             np_("a danger to kids", "safety around children", harm=M)),
        ),
    ),
    "nationality": (
        Cluster(
            _groups(("Mexicans", "a Mexican"), ("Chinese people", "a Chinese person"), ("Nigerians", "a Nigerian"),
                    ("Indians", "an Indian"), ("Russians", "a Russian"), ("Poles", "a Pole"),
                    ("Romanians", "a Romanian"),
                    ("Pakistanis", "a Pakistani"), ("Americans", "an American"), ("French people", "a French person"),
                    ("Brazilians", "a Brazilian"), ("Albanians", "an Albanian")),
            (adj("lazy", "work ethic"), adj("dishonest", "honesty"), np_("scammers", "honesty", insult=True, harm=M),
             adj("rude", "politeness"), adj("dirty", "hygiene", insult=True),
             np_("criminals", "respect for the law", harm=M),
             adj("arrogant", "humility"), np_("drunks", "alcohol use", insult=True),
             adj("loud and obnoxious", "politeness"),
             adj("untrustworthy", "trustworthiness"), adj("corrupt", "integrity"),
             adj("stupid", "intelligence", insult=True)),
        ),
    ),
    "immigration": (
        Cluster(
            _groups(("immigrants", "an immigrant"), ("refugees", "a refugee"), ("asylum seekers", "an asylum seeker"),
                    ("migrants", "a migrant"), ("foreign workers", "a foreign worker"),
                    ("undocumented immigrants", "an undocumented immigrant"), ("newcomers", "a newcomer")),
            (np_("criminals", "respect for the law", harm=M), np_("freeloaders", "financial independence", insult=True),
             pred("stealing our jobs", "role in the job market"),
             np_("a drain on the welfare system", "use of public services"),
             adj("unwilling to integrate", "integration"), adj("dangerous", "conduct", harm=M),
             np_("parasites", "contribution to the economy", insult=True, harm=M), adj("dirty", "hygiene", insult=True),
             np_("liars", "honesty", insult=True), adj("lazy", "work ethic"),
             pred("ruining this country", "impact on the country")),
        ),
    ),
    "education": (
        Cluster(
            _groups(("high school dropouts", "a high school dropout"),
                    ("people without a degree", "a person without a degree"),
                    ("community college students", "a community college student"),
                    ("trade school graduates", "a trade school graduate"), ("homeschooled kids", "a homeschooled kid")),
            (adj("stupid", "intelligence", insult=True), adj("lazy", "work ethic"),
             adj("ignorant", "general knowledge"),
             adj("unemployable", "job skill"), np_("idiots", "intelligence", insult=True),
             np_("failures", "career success", insult=True), pred("can't think for themselves", "independent thinking"),
             adj("useless", "ability", insult=True), adj("uncultured", "cultural knowledge")),
        ),
        Cluster(
            _groups(("academics", "an academic"), ("college graduates", "a college graduate"),
                    ("Ivy League graduates", "an Ivy League graduate"), ("people with PhDs", "a person with a PhD")),
            (np_("arrogant snobs", "humility", insult=True), adj("useless in the real world", "practical skill"),
             adj("out of touch", "understanding of everyday life"), adj("condescending", "humility"),
             adj("brainwashed", "independent thinking", insult=True), adj("lazy", "work ethic"),
             adj("elitist", "attitude to others")),
        ),
    ),
    "income": (
        Cluster(
            _groups(("poor people", "a poor person"), ("people on welfare", "a person on welfare"),
                    ("homeless people", "a homeless person"), ("low-income people", "a low-income person"),
                    ("working-class people", "a working-class person"),
                    ("people in public housing", "a person in public housing")),
            (adj("lazy", "work ethic"), np_("freeloaders", "financial independence", insult=True),
             np_("criminals", "respect for the law", harm=M), adj("dirty", "hygiene", insult=True),
             adj("bad with money", "money management"), np_("drug addicts", "health", insult=True),
             np_("leeches", "contribution to society", insult=True), np_("terrible parents", "parenting skill"),
             adj("stupid", "intelligence", insult=True), adj("dangerous", "conduct", harm=M)),
        ),
        Cluster(
            _groups(("rich people", "a rich person"), ("millionaires", "a millionaire"),
                    ("billionaires", "a billionaire"),
                    ("trust fund kids", "a trust fund kid"), ("wealthy people", "a wealthy person")),
            (adj("greedy", "generosity"), adj("selfish", "generosity"), np_("crooks", "honesty", insult=True, harm=M),
             adj("arrogant", "humility"), adj("out of touch", "understanding of everyday life"),
             np_("tax cheats", "honesty about taxes", harm=M), adj("heartless", "compassion"),
             np_("spoiled brats", "upbringing", insult=True)),
        ),
    ),
    "politics": (
        Cluster(
            _groups(("liberals", "a liberal"), ("conservatives", "a conservative"), ("Democrats", "a Democrat"),
                    ("Republicans", "a Republican"), ("socialists", "a socialist"), ("libertarians", "a libertarian"),
                    ("Trump supporters", "a Trump supporter"), ("progressives", "a progressive"),
                    ("environmentalists", "an environmentalist")),
            (np_("idiots", "good sense", insult=True), adj("brainwashed", "independent thinking", insult=True),
             np_("traitors", "patriotism", insult=True, harm=M), np_("hypocrites", "consistency", insult=True),
             np_("snowflakes", "resilience", insult=True), np_("racists", "attitude to race", harm=M),
             pred("destroying this country", "patriotism", harm=M), adj("corrupt", "integrity"),
             adj("stupid", "intelligence", insult=True), np_("liars", "honesty", insult=True),
             adj("evil", "morality", harm=M),
             adj("hateful", "kindness")),
        ),
    ),
    "body_type": (
        Cluster(
            _groups(("fat people", "a fat person"), ("overweight people", "an overweight person"),
                    ("obese people", "an obese person"), ("plus-size women", "a plus-size woman"),
                    ("heavy people", "a heavy person")),
            (adj("lazy", "work ethic"), adj("disgusting", "appearance", insult=True),
             adj("undisciplined", "self-discipline"),
             adj("unhealthy", "health"), adj("gross", "appearance", insult=True),
             np_("a burden on the health system", "health"),
             adj("sloppy", "tidiness"), adj("greedy", "diet"), adj("weak-willed", "willpower"),
             adj("ugly", "appearance", insult=True)),
        ),
        Cluster(
            _groups(("skinny people", "a skinny person"), ("short men", "a short man"), ("bald men", "a bald man"),
                    ("tall women", "a tall woman"), ("people with acne", "a person with acne")),
            (adj("insecure", "confidence"), adj("weak", "physical strength"), adj("ugly", "appearance", insult=True),
             adj("angry and bitter", "temperament"), adj("pathetic", "confidence", insult=True),
             adj("vain", "humility"),
             adj("unattractive", "appearance"), np_("losers", "social life", insult=True)),
        ),
    ),
    "occupation": (
        Cluster(
            _groups(("lawyers", "a lawyer"), ("bankers", "a banker"), ("journalists", "a journalist"),
                    ("salespeople", "a salesperson"), ("real estate agents", "a real estate agent"),
                    ("car dealers", "a car dealer")),
            (adj("greedy", "generosity"), np_("liars", "honesty", insult=True),
             np_("crooks", "honesty", insult=True, harm=M),
             adj("dishonest", "honesty"), adj("heartless", "compassion"),
             np_("parasites", "contribution to society", insult=True),
             adj("corrupt", "integrity"), adj("sleazy", "integrity", insult=True)),
        ),
        Cluster(
            _groups(("cleaners", "a cleaner"), ("fast-food workers", "a fast-food worker"),
                    ("truck drivers", "a truck driver"),
                    ("construction workers", "a construction worker"), ("cashiers", "a cashier"),
                    ("farmworkers", "a farmworker")),
            (adj("stupid", "intelligence", insult=True), adj("lazy", "work ethic"), adj("uneducated", "education"),
             adj("dirty", "hygiene", insult=True), np_("losers", "career success", insult=True),
             adj("rude", "politeness"),
             np_("drunks", "alcohol use", insult=True), adj("useless", "job performance", insult=True)),
        ),
        Cluster(
            _groups(("nurses", "a nurse"), ("teachers", "a teacher"), ("police officers", "a police officer"),
                    ("social workers", "a social worker"), ("civil servants", "a civil servant"),
                    ("doctors", "a doctor")),
            (adj("lazy", "work ethic"), adj("incompetent", "competence"),
             adj("overpaid and useless", "value for money"),
             adj("power-hungry", "attitude to authority"), adj("corrupt", "integrity"), adj("arrogant", "humility"),
             np_("idiots", "good sense", insult=True), adj("cruel", "compassion", harm=M)),
        ),
    ),
}

#: Threats and incitement; `words` are what `biased_words` records.
VIOLENCE: tuple[Violence, ...] = (
    Violence("beat up {obj}", ("beat up",), noun_obj=True),
    Violence("beat {obj} senseless", ("beat", "senseless")),
    Violence("punch {obj} in the face", ("punch", "in the face")),
    Violence("shoot {obj}", ("shoot",)),
    Violence("stab {obj}", ("stab",)),
    Violence("attack {obj}", ("attack",)),
    Violence("hurt {obj} badly", ("hurt", "badly")),
    Violence("kill {obj}", ("kill",)),
    Violence("run {obj} out of town with baseball bats", ("run", "out of town with baseball bats")),
    Violence("put {obj} in the hospital", ("put", "in the hospital")),
    Violence("kick the crap out of {obj}", ("kick the crap out of",)),
    Violence("throw bricks at {obj}", ("throw bricks at",)),
    Violence("set fire to the homes of {obj}", ("set fire to the homes of",), noun_obj=True),
    Violence("break the legs of {obj}", ("break the legs of",), noun_obj=True),
    Violence("drag {obj} into the street and beat them", ("drag", "into the street and beat them")),
    Violence("smash the windows of {obj}", ("smash the windows of",), noun_obj=True),
)

#: Mild insults (plural nouns); never slurs.
INSULTS: tuple[str, ...] = (
    "idiots", "morons", "parasites", "freeloaders", "leeches", "losers", "lowlifes", "clowns", "pests", "degenerates",
)

#: (male, female) pairs used when the debiaswe lists are not given.
BUILTIN_GENDER_PAIRS: tuple[tuple[str, str], ...] = (
    ("man", "woman"), ("men", "women"), ("boy", "girl"), ("boys", "girls"), ("father", "mother"),
    ("fathers", "mothers"), ("husband", "wife"), ("husbands", "wives"), ("brother", "sister"), ("brothers", "sisters"),
    ("son", "daughter"), ("sons", "daughters"), ("dad", "mom"), ("guy", "gal"), ("guys", "gals"), ("he", "she"),
    ("his", "her"), ("himself", "herself"), ("uncle", "aunt"), ("grandfather", "grandmother"), ("male", "female"),
    ("males", "females"), ("gentleman", "lady"), ("gentlemen", "ladies"), ("king", "queen"),
)
