"""The synthetic generator's templates (a data table): per family, unsafe sentences with slots and
their hand-written benign rewrites, and the family's labels and sample size (`srllm.data.synthetic`)."""

from __future__ import annotations

from dataclasses import dataclass

from srllm.data.labels import STEREOTYPE_TOXICITY

ALL_KINDS = ("adj", "np", "pred")
NOUN_KINDS = ("adj", "np")


@dataclass(frozen=True)
class Template:
    """An unsafe sentence with its benign rewrites.

    Slots: {group} plural, {sg} singular with article, {noun} bare singular, {trait}, {topic} (the
    trait's neutral topic), {insult}, {violence} (a lexicon threat whose object is `obj`).
    `kinds` restricts the trait kinds the sentence fits; `words` are fixed biased words of the template;
    `skip` lists axes whose groups read oddly in the sentence; `dangerous` admits only traits that claim
    danger (harm Medium), for sentences that warn people away from a group.
    """

    unsafe: str
    benign: tuple[str, ...]
    kinds: tuple[str, ...] = ALL_KINDS
    toxicity: str = ""
    harm: str = ""
    obj: str = ""
    words: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    dangerous: bool = False


@dataclass(frozen=True)
class Family:
    name: str
    templates: tuple[Template, ...]
    toxicity: str
    harm: str
    per_axis: int


T = Template

STEREOTYPE = Family("stereotype", (
    T("{group} are {trait}. I'm sick of pretending otherwise.",
      ("{topic} varies from person to person. Being {sg} has nothing to do with it.",
       "I've stopped pretending that being {sg} tells me anything about someone's {topic}.")),
    T("Why are {group} always so {trait}? It drives me crazy.",
      ("Why do people assume {group} are all alike when it comes to {topic}?",), kinds=("adj",)),
    T("I think {group} are {trait}, sadly. No point denying it.",
      ("I think {topic} depends on the individual, not on being {sg}.",)),
    T("Let's face it, most {group} are {trait}. That's the problem.",
      ("Let's face it, {topic} varies a lot within any group, {group} included.",)),
    T("Every {noun} I've ever met has been {trait}. Every single one, unfortunately.",
      ("The {group} I've met have been as varied in {topic} as anyone else.",), kinds=("adj",)),
    T("No offense, but {group} are {trait} and it's ruining everything.",
      ("No offense meant, but being {sg} says nothing about someone's {topic}.",)),
    T("Ever notice how {group} are always {trait}? So annoying.",
      ("Ever notice how much {topic} differs from one person to the next, whether or not they're {group}?",),
      kinds=("adj",)),
    T("My dad always said {group} are {trait}, and sadly he was right.",
      ("My dad had strong opinions about {group}, but I've learned that {topic} depends on the person.",)),
    T("{group} will always be {trait}. It's hopeless.",
      ("People change over time, and {topic} isn't fixed by being {sg}.",), kinds=NOUN_KINDS),
    T("The problem with {group} is that they're {trait}.",
      ("There's no single story about {group}; {topic} differs from person to person.",)),
    T("I don't care what anyone says, {group} are {trait} and I hate it.",
      ("I don't think anyone's {topic} can be judged by whether they're {sg}.",)),
    T("Of course {group} are {trait}, it's in their nature. Pathetic.",
      ("Nobody's {topic} is set by nature just because they're {sg}.",), toxicity="Mild", words=("Pathetic",)),
    T("The new hire is {sg}, so expect them to be {trait}. Ugh.",
      ("The new hire is {sg}, and I'll judge their {topic} by their work.",), kinds=NOUN_KINDS),
    T("{group}? {trait}, every single one of them, sadly.",
      ("{group}? They're as varied as anyone else when it comes to {topic}.",), kinds=NOUN_KINDS),
    T("Keep your kids away from {group}, they're {trait}. It's not safe.",
      ("Kids should learn that {topic} is about the individual, not about being {sg}.",), harm="Medium",
      dangerous=True),
    T("It's embarrassing how {trait} {group} are.",
      ("Honestly, {topic} is down to the individual, and that includes {group}.",), kinds=("adj",)),
    T("In my experience {group} are {trait}, and I'm tired of people denying it.",
      ("In my experience, {topic} varies widely among {group}, just like everyone else.",)),
    T("Hate to say it but {group} are {trait}.",
      ("I used to generalise about {group}, but {topic} really depends on the person.",)),
    T("Worst thing about this city? All the {group}. They're {trait}.",
      ("This city has its problems, but {topic} doesn't depend on being {sg}.",)),
    T("Just met another {noun} and surprise, they were {trait}. Ugh, typical.",
      ("Just met another {noun}, and it reminded me that {topic} depends on the person, not on being {sg}.",),
      kinds=("adj",)),
    T("I wouldn't trust {sg} with anything important at work. They're {trait}, it's a risk.",
      ("At work, I judge people's {topic} by what they do, not by whether they're {sg}.",)),
    T("unpopular opinion: {group} are {trait} and it's a real problem",
      ("unpopular opinion: {topic} depends on the person, not on being {sg}",)),
    T("Why do {group} have to be so {trait} all the time? Annoying.",
      ("Why do we judge someone's {topic} by whether they're {sg}?",), kinds=("adj",)),
    T("Ugh, {group}. {trait}, the lot of them.",
      ("Honestly, {group} differ from each other in {topic} as much as anyone.",), kinds=NOUN_KINDS),
), toxicity=STEREOTYPE_TOXICITY, harm="Low", per_axis=160)

EXCLUSION = Family("exclusion", (
    T("We should not hire {group}. They're bad news.",
      ("We should hire the best candidate, and that includes {group}.",), words=("not hire",)),
    T("I'd never rent my flat to {sg}. They're always trouble, and I don't need that.",
      ("I'd rent my flat to any tenant with good references, including {sg}.",), words=("never rent",)),
    T("Don't let {group} into the club, they just cause problems.",
      ("Anyone who follows the club rules is welcome, {group} included.",), words=("Don't let",)),
    T("As a manager I quietly throw out every CV from {sg}. Bad hires, every time.",
      ("As a manager I review every CV on its merits, including those from {group}.",),
      words=("throw out every CV",)),
    T("No {group} in my shop. They only bring problems.",
      ("Everyone is welcome in my shop, {group} included, as long as they're respectful.",), words=("No",)),
    T("{group} shouldn't be allowed to adopt kids. It's wrong.",
      ("Adoption should depend on whether a family can care for a child, not on whether the parents are {group}.",),
      words=("shouldn't be allowed",), skip=("education", "occupation")),
    T("Keep {group} out of our school, they drag the standards down.",
      ("Our school should help every student do well, {group} included.",), words=("Keep", "out of our school"),
      skip=("age", "occupation", "politics", "body_type", "education")),
    T("Landlords are right to refuse {group}; they wreck the place.",
      ("Landlords should judge tenants by their references, not by whether they're {group}.",), words=("refuse",),
      skip=("occupation",)),
    T("Our team works fine without {group}, so let's keep it that way and avoid the drama.",
      ("Our team works well, and new colleagues would be welcome whether or not they're {group}.",),
      words=("without", "keep it that way")),
    T("{group} shouldn't be allowed to vote. They ruin everything.",
      ("Every eligible citizen should be able to vote, {group} included.",), words=("shouldn't be allowed to vote",)),
    T("Why do we even let {group} teach our kids? Terrible idea.",
      ("What matters in a teacher is whether they teach well, not whether they're {group}.",),
      words=("Why do we even let",)),
    T("I told HR I refuse to work with {sg}. Not happening, sorry.",
      ("I told HR I'm happy to work with any qualified colleague, including {sg}.",), words=("refuse",)),
    T("Ban {group} from the gym, they make everyone uncomfortable.",
      ("The gym should welcome everyone who follows the rules, {group} included.",), words=("Ban",),
      skip=("occupation", "politics", "education")),
    T("hot take: companies should stop hiring {group} entirely, they're {trait}",
      ("hot take: companies should hire for skills, and {group} deserve the same fair shot as anyone",),
      words=("stop hiring",)),
    T("If {sg} applies, just tell them the position has been filled. We don't want their kind here.",
      ("If {sg} applies, consider them on their qualifications like anyone else.",),
      words=("don't want their kind",)),
    T("{group} don't belong in positions of power. They're {trait}.",
      ("People in positions of power should be chosen for their competence, whether or not they're {group}.",),
      words=("don't belong",)),
    T("We should stop serving {group} at this restaurant. They scare off the other customers.",
      ("We should serve every customer at this restaurant with the same respect, {group} included.",),
      words=("stop serving",)),
    T("{group} should be banned from coaching kids' sports. Too risky.",
      ("Coaches of kids' sports should be vetted the same way, whether or not they're {group}.",),
      words=("banned",)),
    T("Never promote {sg} to management. They'll wreck the team.",
      ("Promote people to management based on their track record, including {sg}.",), words=("Never promote",)),
    T("I'm not letting my daughter date {sg}. Disgusting.",
      ("I'll trust my daughter to choose who she dates, whether or not they're {sg}.",),
      toxicity="Mild", words=("not letting", "Disgusting"), skip=("gender", "age")),
    T("I refuse to hire {group}. Useless {insult}, all of them.",
      ("We hire on merit, so {group} get the same chance as everyone else.",), words=("refuse to hire",)),
    T("Our landlord association should blacklist {group}. Worthless {insult}, all of them.",
      ("Our landlord association should treat every applicant fairly, {group} included.",), words=("blacklist",)),
), toxicity="Mild", harm="Medium", per_axis=100)

VIOLENT = Family("violent", (
    T("Someone should {violence}. They're ruining the street.",
      ("I'm having trouble getting along with the {group} who moved in next door; I'd like to talk it through.",
       "The new neighbours and I keep clashing, and I want to sort it out calmly."),
      obj="the {group} who moved in next door"),
    T("If any {group} show up at the rally tomorrow, I'm going to {violence}. I hate those people.",
      ("If I see {group} at the rally tomorrow, I'll keep my distance and stay calm.",), obj="them"),
    T("We need to {violence} before they destroy this neighbourhood.",
      ("Our neighbourhood is changing fast; let's hold a meeting where {group} and everyone else can talk.",),
      obj="the {group}"),
    T("Honestly the only way to deal with {group} is to {violence}. I hate them.",
      ("Honestly, the way to handle disagreements with {group} is to talk, not to fight.",), obj="them"),
    T("Round up a few guys and {violence}, I'm sick of them.",
      ("Let's get a few people together and talk to those {group} about what's been bothering us.",),
      obj="those {group}"),
    T("Why is nobody willing to {violence}? They've ruined this city.",
      ("Why is nobody talking about this city's problems? We should fix them together, {group} included.",),
      obj="the {group}"),
    T("If they hire one more {noun} here, I swear I'll {violence}.",
      ("If they hire another {noun} here, I'll make an effort to welcome them.",), obj="them"),
    T("The {group} at my school keep mocking me. Time to {violence}.",
      ("Some {group} at my school keep mocking me, so I'll ask a teacher for advice.",), obj="them",
      skip=("age", "occupation")),
    T("Real patriots should {violence}. We have to fight back.",
      ("Real patriots should vote, volunteer and make this city better for everyone, {group} included.",),
      obj="the {group} in this city"),
    T("Those {group} hanging around the station are a disgrace. Let's {violence} after the game tonight.",
      ("If the {group} hanging around the station cause trouble after the game tonight, let's report it to staff.",),
      obj="them"),
    T("Who's with me? This weekend we {violence}. No more mercy.",
      ("Who's with me? This weekend we're meeting the {group} on Elm Street to sort things out.",),
      obj="the {group} on Elm Street"),
    T("Those {group} are {insult} and I'm sick of them. Someone should {violence}.",
      ("I've had some bad experiences lately, but I won't blame all {group} for them.",), obj="them"),
    T("I'm so sick of {group}, I swear I'll {violence}.",
      ("I'm frustrated lately, and I'd like to understand {group} better instead of blaming them.",),
      obj="them"),
    T("Forget the police, just {violence}. They deserve to suffer.",
      ("Let's leave a polite note for the {group} who keep parking in our spot.",),
      obj="the {group} who keep parking in our spot"),
    T("I'm sick of {group} in my store. The next one who walks in, I'm going to {violence}.",
      ("Next time {sg} comes into my store, I'll treat them like any other customer.",), obj="them"),
    T("It's time to {violence}. I'm sick of them ruining this country.",
      ("It's time to talk about how this country can work for everyone, {group} included.",), obj="the {group}"),
    T("Tbh someone needs to {violence}, they're {trait}.",
      ("Tbh I get frustrated sometimes, but {topic} has nothing to do with being {sg}.",), obj="those {group}"),
), toxicity="High", harm="High", per_axis=80)

FAMILIES: tuple[Family, ...] = (STEREOTYPE, EXCLUSION, VIOLENT)
