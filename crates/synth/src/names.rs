//! Name data for synthetic people: forenames and surnames grouped by
//! heritage, with separate forename lists for children (born roughly
//! 2006-2023) and adults (parents, carers and staff), plus helpers to pick
//! names and to make e-mail-safe slugs.
//!
//! The lists are deliberately broad so that the synthetic population looks
//! like a real UK school roll: mostly British names, with substantial South
//! Asian, Polish, West African, Caribbean, Chinese and Middle Eastern
//! minorities, and many more Welsh names in a Welsh authority.

use rand::{Rng, RngExt};
use senco_domain::person::Sex;

/// Broad naming heritage. It drives the choice of forenames and surnames and
/// the likelihood that a pupil has English as an additional language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    English,
    Welsh,
    Scottish,
    Irish,
    /// Pakistani and Bangladeshi heritage.
    SouthAsian,
    /// Indian (Hindu and Sikh) heritage.
    Indian,
    Polish,
    WestAfrican,
    Caribbean,
    Chinese,
    MiddleEastern,
}

/// Heritage mix for an English county (weights, not percentages).
pub(crate) const ENGLAND_MIX: &[(Origin, u32)] = &[
    (Origin::English, 60),
    (Origin::Scottish, 3),
    (Origin::Irish, 4),
    (Origin::Welsh, 2),
    (Origin::SouthAsian, 7),
    (Origin::Indian, 4),
    (Origin::Polish, 6),
    (Origin::WestAfrican, 5),
    (Origin::Caribbean, 4),
    (Origin::Chinese, 2),
    (Origin::MiddleEastern, 3),
];

/// Heritage mix for a Welsh county borough.
pub(crate) const WALES_MIX: &[(Origin, u32)] = &[
    (Origin::Welsh, 42),
    (Origin::English, 40),
    (Origin::Scottish, 2),
    (Origin::Irish, 2),
    (Origin::SouthAsian, 3),
    (Origin::Indian, 2),
    (Origin::Polish, 4),
    (Origin::WestAfrican, 2),
    (Origin::Caribbean, 1),
    (Origin::Chinese, 1),
    (Origin::MiddleEastern, 1),
];

/// Heritage mix for a Welsh-medium school: mostly Welsh families.
pub(crate) const WELSH_MEDIUM_MIX: &[(Origin, u32)] = &[
    (Origin::Welsh, 70),
    (Origin::English, 24),
    (Origin::Irish, 1),
    (Origin::SouthAsian, 2),
    (Origin::Polish, 2),
    (Origin::WestAfrican, 1),
];

impl Origin {
    /// Probability that a child of this heritage has English as an
    /// additional language. Tuned so an English county is about 15% EAL.
    pub(crate) fn eal_probability(self) -> f64 {
        match self {
            Origin::English => 0.01,
            Origin::Welsh | Origin::Scottish => 0.0,
            Origin::Irish | Origin::Caribbean => 0.02,
            Origin::SouthAsian | Origin::Indian => 0.45,
            Origin::Polish => 0.75,
            Origin::WestAfrican => 0.35,
            Origin::Chinese => 0.7,
            Origin::MiddleEastern => 0.8,
        }
    }

    /// Whether surnames of this heritage take a feminine form (Polish -ski/-ska).
    pub(crate) fn gendered_surnames(self) -> bool {
        self == Origin::Polish
    }

    fn child_forenames(self, sex: Sex) -> &'static [&'static str] {
        let female = sex == Sex::Female;
        match self {
            Origin::English => {
                if female {
                    ENGLISH_GIRLS
                } else {
                    ENGLISH_BOYS
                }
            }
            Origin::Welsh => {
                if female {
                    WELSH_GIRLS
                } else {
                    WELSH_BOYS
                }
            }
            Origin::Scottish => {
                if female {
                    SCOTTISH_GIRLS
                } else {
                    SCOTTISH_BOYS
                }
            }
            Origin::Irish => {
                if female {
                    IRISH_GIRLS
                } else {
                    IRISH_BOYS
                }
            }
            Origin::SouthAsian => {
                if female {
                    SOUTH_ASIAN_GIRLS
                } else {
                    SOUTH_ASIAN_BOYS
                }
            }
            Origin::Indian => {
                if female {
                    INDIAN_GIRLS
                } else {
                    INDIAN_BOYS
                }
            }
            Origin::Polish => {
                if female {
                    POLISH_GIRLS
                } else {
                    POLISH_BOYS
                }
            }
            Origin::WestAfrican => {
                if female {
                    WEST_AFRICAN_GIRLS
                } else {
                    WEST_AFRICAN_BOYS
                }
            }
            Origin::Caribbean => {
                if female {
                    CARIBBEAN_GIRLS
                } else {
                    CARIBBEAN_BOYS
                }
            }
            Origin::Chinese => {
                if female {
                    CHINESE_GIRLS
                } else {
                    CHINESE_BOYS
                }
            }
            Origin::MiddleEastern => {
                if female {
                    MIDDLE_EASTERN_GIRLS
                } else {
                    MIDDLE_EASTERN_BOYS
                }
            }
        }
    }

    fn adult_forenames(self, sex: Sex) -> &'static [&'static str] {
        let female = sex == Sex::Female;
        match self {
            Origin::English => {
                if female {
                    ENGLISH_WOMEN
                } else {
                    ENGLISH_MEN
                }
            }
            Origin::Welsh => {
                if female {
                    WELSH_WOMEN
                } else {
                    WELSH_MEN
                }
            }
            Origin::Scottish | Origin::Irish => {
                if female {
                    CELTIC_WOMEN
                } else {
                    CELTIC_MEN
                }
            }
            Origin::SouthAsian => {
                if female {
                    SOUTH_ASIAN_WOMEN
                } else {
                    SOUTH_ASIAN_MEN
                }
            }
            Origin::Indian => {
                if female {
                    INDIAN_WOMEN
                } else {
                    INDIAN_MEN
                }
            }
            Origin::Polish => {
                if female {
                    POLISH_WOMEN
                } else {
                    POLISH_MEN
                }
            }
            Origin::WestAfrican => {
                if female {
                    WEST_AFRICAN_WOMEN
                } else {
                    WEST_AFRICAN_MEN
                }
            }
            Origin::Caribbean => {
                if female {
                    CARIBBEAN_WOMEN
                } else {
                    CARIBBEAN_MEN
                }
            }
            Origin::Chinese => {
                if female {
                    CHINESE_WOMEN
                } else {
                    CHINESE_MEN
                }
            }
            Origin::MiddleEastern => {
                if female {
                    MIDDLE_EASTERN_WOMEN
                } else {
                    MIDDLE_EASTERN_MEN
                }
            }
        }
    }

    fn surnames(self) -> &'static [&'static str] {
        match self {
            Origin::English => ENGLISH_SURNAMES,
            Origin::Welsh => WELSH_SURNAMES,
            Origin::Scottish => SCOTTISH_SURNAMES,
            Origin::Irish => IRISH_SURNAMES,
            Origin::SouthAsian => SOUTH_ASIAN_SURNAMES,
            Origin::Indian => INDIAN_SURNAMES,
            Origin::Polish => POLISH_SURNAMES,
            Origin::WestAfrican => WEST_AFRICAN_SURNAMES,
            Origin::Caribbean => CARIBBEAN_SURNAMES,
            Origin::Chinese => CHINESE_SURNAMES,
            Origin::MiddleEastern => MIDDLE_EASTERN_SURNAMES,
        }
    }
}

/// Picks one element of a non-empty slice uniformly.
pub(crate) fn pick<'a, T, R: Rng + ?Sized>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Picks from `(value, weight)` pairs in proportion to the weights.
pub(crate) fn pick_weighted<T: Copy, R: Rng + ?Sized>(rng: &mut R, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (value, weight) in items {
        if roll < *weight {
            return *value;
        }
        roll -= weight;
    }
    items[items.len() - 1].0
}

/// A random sex, slightly more boys than girls as in real birth cohorts.
pub(crate) fn random_sex<R: Rng + ?Sized>(rng: &mut R) -> Sex {
    if rng.random_bool(0.51) {
        Sex::Male
    } else {
        Sex::Female
    }
}

/// A child's forename for the given heritage and sex.
pub(crate) fn child_forename<R: Rng + ?Sized>(rng: &mut R, origin: Origin, sex: Sex) -> String {
    (*pick(rng, origin.child_forenames(sex))).to_owned()
}

/// An adult's forename for the given heritage and sex.
pub(crate) fn adult_forename<R: Rng + ?Sized>(rng: &mut R, origin: Origin, sex: Sex) -> String {
    (*pick(rng, origin.adult_forenames(sex))).to_owned()
}

/// A surname in its base (masculine, for gendered languages) form.
pub(crate) fn surname<R: Rng + ?Sized>(rng: &mut R, origin: Origin) -> String {
    (*pick(rng, origin.surnames())).to_owned()
}

/// The form of `base` used by a person of the given sex (Polish
/// `Kowalski` becomes `Kowalska` for women and girls).
pub(crate) fn gendered_surname(base: &str, origin: Origin, sex: Sex) -> String {
    if origin.gendered_surnames() && sex == Sex::Female {
        for ending in ["ski", "cki", "dzki"] {
            if let Some(stem) = base.strip_suffix(ending) {
                return format!("{stem}{}a", &ending[..ending.len() - 1]);
            }
        }
    }
    base.to_owned()
}

/// A preferred (everyday) forename for a child, if a natural one exists:
/// a short form, or an English name used by a child of Chinese heritage.
pub(crate) fn preferred_forename<R: Rng + ?Sized>(
    rng: &mut R,
    legal: &str,
    origin: Origin,
    sex: Sex,
) -> Option<String> {
    if let Some((_, short)) = SHORT_FORMS.iter().find(|(long, _)| *long == legal) {
        return Some((*pick(rng, short)).to_owned());
    }
    if origin == Origin::Chinese {
        let list = if sex == Sex::Female {
            CHINESE_ENGLISH_GIRLS
        } else {
            CHINESE_ENGLISH_BOYS
        };
        return Some((*pick(rng, list)).to_owned());
    }
    None
}

/// Lower-case ASCII slug of a name for use in e-mail local parts and
/// domains: accents are folded, spaces become `sep`, apostrophes vanish.
pub(crate) fn slug(name: &str, sep: char) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        let folded = match ch {
            'á' | 'à' | 'â' | 'ä' | 'ą' | 'Á' | 'Â' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'É' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'Í' | 'İ' | 'ı' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'Ó' | 'Ö' => "o",
            'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => "u",
            'ŵ' => "w",
            'ŷ' | 'ÿ' => "y",
            'ł' | 'Ł' => "l",
            'ś' | 'ş' | 'Ś' | 'Ş' => "s",
            'ź' | 'ż' | 'Ź' | 'Ż' => "z",
            'ć' | 'ç' | 'Ć' | 'Ç' => "c",
            'ń' | 'ñ' => "n",
            'ğ' => "g",
            '\'' | '’' => "",
            ' ' | '-' => {
                if !out.is_empty() && !out.ends_with(sep) {
                    out.push(sep);
                }
                continue;
            }
            c if c.is_ascii_alphanumeric() => {
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => "",
        };
        out.push_str(folded);
    }
    while out.ends_with(sep) {
        out.pop();
    }
    out
}

const SHORT_FORMS: &[(&str, &[&str])] = &[
    ("William", &["Will", "Billy"]),
    ("Alexander", &["Alex", "Xander"]),
    ("Oliver", &["Ollie"]),
    ("Thomas", &["Tom", "Tommy"]),
    ("James", &["Jamie", "Jim"]),
    ("Benjamin", &["Ben", "Benji"]),
    ("Samuel", &["Sam", "Sammy"]),
    ("Joshua", &["Josh"]),
    ("Matthew", &["Matt"]),
    ("Daniel", &["Dan", "Danny"]),
    ("Frederick", &["Freddie", "Fred"]),
    ("Edward", &["Eddie", "Ted"]),
    ("Joseph", &["Joe"]),
    ("Sebastian", &["Seb"]),
    ("Nathaniel", &["Nate", "Nat"]),
    ("Elizabeth", &["Libby", "Beth", "Lizzie"]),
    ("Charlotte", &["Lottie", "Charlie"]),
    ("Isabella", &["Bella", "Izzy"]),
    ("Isabelle", &["Izzy"]),
    ("Florence", &["Flo", "Florrie"]),
    ("Eleanor", &["Ellie", "Nell"]),
    ("Harriet", &["Hattie"]),
    ("Jessica", &["Jess"]),
    ("Olivia", &["Liv", "Livvy"]),
    ("Amelia", &["Millie", "Mia"]),
    ("Matilda", &["Tilly"]),
    ("Abigail", &["Abbie"]),
    ("Gruffudd", &["Gruff"]),
    ("Gwenllian", &["Gwen"]),
    ("Rhiannon", &["Rhi"]),
    ("Angharad", &["Ang"]),
    ("Tomos", &["Twm"]),
    ("Wojciech", &["Wojtek"]),
    ("Aleksandra", &["Ola"]),
    ("Zuzanna", &["Zuza"]),
    ("Aleksander", &["Olek", "Alek"]),
    ("Franciszek", &["Franek"]),
    ("Stanisław", &["Staś"]),
    ("Muhammad", &["Mo"]),
    ("Jaskaran", &["Jas"]),
    ("Mohammed", &["Mo"]),
    ("Abdullah", &["Abdul"]),
    ("Oluwaseun", &["Seun"]),
    ("Oluwatobi", &["Tobi"]),
    ("Chukwuemeka", &["Emeka"]),
    ("Oluwadamilola", &["Dami", "Lola"]),
    ("Temitope", &["Tope", "Temi"]),
    ("Abdirahman", &["Abdi"]),
];

const ENGLISH_BOYS: &[&str] = &[
    "Oliver",
    "George",
    "Harry",
    "Jack",
    "Noah",
    "Leo",
    "Arthur",
    "Oscar",
    "Charlie",
    "Jacob",
    "Freddie",
    "Alfie",
    "Theo",
    "Thomas",
    "William",
    "James",
    "Henry",
    "Archie",
    "Joshua",
    "Samuel",
    "Daniel",
    "Alexander",
    "Max",
    "Isaac",
    "Ethan",
    "Lucas",
    "Edward",
    "Joseph",
    "Benjamin",
    "Harrison",
    "Logan",
    "Finley",
    "Reuben",
    "Toby",
    "Tyler",
    "Riley",
    "Mason",
    "Louie",
    "Ronnie",
    "Albie",
    "Teddy",
    "Tommy",
    "Jaxon",
    "Elliot",
    "Sebastian",
    "Frederick",
    "Matthew",
    "Luke",
    "Callum",
    "Owen",
    "Ryan",
    "Lewis",
    "Connor",
    "Bradley",
    "Nathan",
    "Jenson",
    "Stanley",
    "Rory",
    "Hugo",
    "Zachary",
];

const ENGLISH_GIRLS: &[&str] = &[
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Florence",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Sienna",
    "Elsie",
    "Charlotte",
    "Daisy",
    "Phoebe",
    "Matilda",
    "Harriet",
    "Evelyn",
    "Millie",
    "Holly",
    "Ruby",
    "Jessica",
    "Chloe",
    "Megan",
    "Lucy",
    "Hannah",
    "Eleanor",
    "Imogen",
    "Maisie",
    "Amber",
    "Scarlett",
    "Esme",
    "Alice",
    "Elizabeth",
    "Lola",
    "Layla",
    "Harper",
    "Katie",
    "Bethany",
    "Abigail",
    "Georgia",
    "Isabelle",
    "Summer",
    "Mollie",
    "Lacey",
    "Beatrice",
];

const WELSH_BOYS: &[&str] = &[
    "Dylan", "Rhys", "Osian", "Cai", "Ioan", "Gruffudd", "Tomos", "Elis", "Macsen", "Llew",
    "Harri", "Gethin", "Iwan", "Steffan", "Aled", "Owain", "Morgan", "Ifan", "Caio", "Jac", "Deio",
    "Efan", "Hedd", "Math", "Siôn", "Rhodri", "Emrys", "Dafydd", "Huw", "Guto",
];

const WELSH_GIRLS: &[&str] = &[
    "Seren",
    "Cerys",
    "Ffion",
    "Megan",
    "Efa",
    "Alys",
    "Mali",
    "Nia",
    "Lowri",
    "Elin",
    "Catrin",
    "Gwen",
    "Mared",
    "Non",
    "Eira",
    "Nel",
    "Heledd",
    "Swyn",
    "Beca",
    "Lleucu",
    "Carys",
    "Manon",
    "Enfys",
    "Cadi",
    "Erin",
    "Tesni",
    "Sioned",
    "Angharad",
    "Rhiannon",
    "Anwen",
    "Gwenllian",
    "Siân",
];

const SCOTTISH_BOYS: &[&str] = &[
    "Callum", "Lewis", "Euan", "Finlay", "Fraser", "Hamish", "Ruaridh", "Angus", "Struan",
    "Alasdair", "Jamie", "Cameron", "Murray", "Ross", "Kyle", "Lachlan", "Calum",
];

const SCOTTISH_GIRLS: &[&str] = &[
    "Isla", "Eilidh", "Kirsty", "Mhairi", "Skye", "Iona", "Fiona", "Catriona", "Ailsa", "Shona",
    "Rhona", "Kenzie", "Orla", "Morven",
];

const IRISH_BOYS: &[&str] = &[
    "Cian", "Oisín", "Darragh", "Tadhg", "Seán", "Conor", "Rory", "Ronan", "Fionn", "Cillian",
    "Eoin", "Liam", "Pádraig", "Ciarán", "Niall",
];

const IRISH_GIRLS: &[&str] = &[
    "Aoife", "Niamh", "Saoirse", "Siobhán", "Róisín", "Caoimhe", "Clodagh", "Orla", "Ciara",
    "Sinéad", "Aisling", "Éabha", "Maeve", "Gráinne",
];

const SOUTH_ASIAN_BOYS: &[&str] = &[
    "Muhammad", "Mohammed", "Ibrahim", "Yusuf", "Ayaan", "Zayn", "Hamza", "Ali", "Omar", "Imran",
    "Rayyan", "Arham", "Haris", "Abdullah", "Zain", "Amir", "Rehan", "Tariq", "Faisal", "Armaan",
];

const INDIAN_BOYS: &[&str] = &[
    "Arjun", "Rohan", "Aarav", "Vihaan", "Harjot", "Ishaan", "Dev", "Kabir", "Sahil", "Karan",
    "Jaskaran", "Aryan", "Krish", "Ravi", "Gurveer",
];

const SOUTH_ASIAN_GIRLS: &[&str] = &[
    "Aisha", "Fatima", "Maryam", "Zainab", "Inaaya", "Anaya", "Aleena", "Hafsa", "Amira", "Sana",
    "Noor", "Khadija", "Nadia", "Ayesha", "Mehreen", "Safa", "Zara", "Hania",
];

const INDIAN_GIRLS: &[&str] = &[
    "Priya", "Ananya", "Diya", "Simran", "Harleen", "Riya", "Saanvi", "Ishani", "Kiran", "Jasleen",
    "Anika", "Navya", "Tara", "Meera",
];

const POLISH_BOYS: &[&str] = &[
    "Jakub",
    "Kacper",
    "Szymon",
    "Filip",
    "Antoni",
    "Jan",
    "Wojciech",
    "Mateusz",
    "Michał",
    "Bartosz",
    "Igor",
    "Oliwer",
    "Nikodem",
    "Franciszek",
    "Łukasz",
    "Dawid",
    "Marcel",
    "Aleksander",
    "Stanisław",
    "Tymon",
];

const POLISH_GIRLS: &[&str] = &[
    "Zuzanna",
    "Julia",
    "Lena",
    "Maja",
    "Hanna",
    "Zofia",
    "Amelia",
    "Alicja",
    "Oliwia",
    "Wiktoria",
    "Natalia",
    "Aleksandra",
    "Maria",
    "Pola",
    "Laura",
    "Nikola",
    "Gabriela",
    "Kinga",
    "Martyna",
    "Weronika",
];

const WEST_AFRICAN_BOYS: &[&str] = &[
    "Oluwaseun",
    "Oluwatobi",
    "Chukwuemeka",
    "Tobenna",
    "Adebayo",
    "Kwame",
    "Kofi",
    "Kwabena",
    "Chidi",
    "Tunde",
    "Femi",
    "David",
    "Samuel",
    "Joshua",
    "Emmanuel",
    "Michael",
    "Ayomide",
    "Ifeanyi",
    "Obinna",
    "Nnamdi",
    "Kelechi",
    "Jeremiah",
    "Daniel",
    "Mamadou",
];

const WEST_AFRICAN_GIRLS: &[&str] = &[
    "Adaeze",
    "Chiamaka",
    "Ngozi",
    "Oluwadamilola",
    "Temitope",
    "Folake",
    "Ama",
    "Akosua",
    "Abena",
    "Efua",
    "Adwoa",
    "Chioma",
    "Ifeoma",
    "Amarachi",
    "Blessing",
    "Deborah",
    "Esther",
    "Grace",
    "Mercy",
    "Favour",
    "Precious",
    "Tolulope",
    "Fatou",
    "Aminata",
    "Mariama",
];

const CARIBBEAN_BOYS: &[&str] = &[
    "Jayden",
    "Tyrese",
    "Kemar",
    "Marcus",
    "Andre",
    "Jermaine",
    "Kadeem",
    "Malachi",
    "Isaiah",
    "Josiah",
    "Elijah",
    "Nathaniel",
    "Darnell",
    "Leon",
    "Jerome",
    "Kai",
    "Reon",
    "Dwayne",
    "Omari",
    "Kayden",
];

const CARIBBEAN_GIRLS: &[&str] = &[
    "Shanice",
    "Aaliyah",
    "Jada",
    "Tia",
    "Kiara",
    "Nia",
    "Imani",
    "Shantel",
    "Keisha",
    "Tanisha",
    "Chantelle",
    "Jasmine",
    "Amani",
    "Destiny",
    "Zuri",
    "Sade",
    "Renee",
    "Naomi",
    "Tiana",
];

const CHINESE_BOYS: &[&str] = &[
    "Zihan", "Haoran", "Yuxuan", "Junhao", "Ming", "Jiahao", "Chun Kit", "Ho Yin", "Tsz Hin",
    "Wing Lok", "Kai Wen", "Zhen", "Yichen", "Tianyu",
];

const CHINESE_GIRLS: &[&str] = &[
    "Xinyi",
    "Yutong",
    "Ruoxi",
    "Jiayi",
    "Mei",
    "Ling",
    "Hui Min",
    "Wing Yan",
    "Tsz Ching",
    "Ka Yan",
    "Yuxin",
    "Shuhan",
    "Qian",
];

const CHINESE_ENGLISH_BOYS: &[&str] = &["Ethan", "Jason", "Kevin", "Eric", "Lucas", "Andy", "Ryan"];

const CHINESE_ENGLISH_GIRLS: &[&str] =
    &["Emily", "Grace", "Lucy", "Amy", "Jenny", "Cindy", "Chloe"];

const MIDDLE_EASTERN_BOYS: &[&str] = &[
    "Omar",
    "Ahmed",
    "Yusuf",
    "Ali",
    "Hassan",
    "Mustafa",
    "Karim",
    "Khalid",
    "Bilal",
    "Ayman",
    "Abdirahman",
    "Mohamed",
    "Ahmad",
    "Sami",
    "Ziad",
    "Rami",
    "Adam",
    "Idris",
];

const MIDDLE_EASTERN_GIRLS: &[&str] = &[
    "Layla", "Yasmin", "Mariam", "Hana", "Noor", "Amal", "Samira", "Hodan", "Sagal", "Ayan",
    "Hibo", "Rania", "Dalia", "Salma", "Huda", "Lina",
];

const ENGLISH_MEN: &[&str] = &[
    "David",
    "Paul",
    "Mark",
    "Andrew",
    "Richard",
    "Christopher",
    "Stephen",
    "Michael",
    "James",
    "Daniel",
    "Matthew",
    "Simon",
    "Craig",
    "Lee",
    "Gareth",
    "Jason",
    "Darren",
    "Neil",
    "Stuart",
    "Robert",
    "Jonathan",
    "Wayne",
    "Ian",
    "Kevin",
    "Ben",
    "Tom",
    "Adam",
    "Carl",
    "Dean",
    "Martin",
    "Peter",
    "Graham",
    "Philip",
    "Nick",
    "Luke",
    "Sam",
];

const ENGLISH_WOMEN: &[&str] = &[
    "Sarah",
    "Emma",
    "Claire",
    "Laura",
    "Rachel",
    "Nicola",
    "Lisa",
    "Kelly",
    "Gemma",
    "Rebecca",
    "Hannah",
    "Amy",
    "Charlotte",
    "Victoria",
    "Jennifer",
    "Helen",
    "Katie",
    "Joanne",
    "Samantha",
    "Louise",
    "Zoe",
    "Leanne",
    "Stacey",
    "Natalie",
    "Jessica",
    "Lucy",
    "Karen",
    "Michelle",
    "Donna",
    "Sophie",
    "Jade",
    "Holly",
    "Alison",
    "Susan",
    "Jane",
    "Kate",
];

const WELSH_MEN: &[&str] = &[
    "Rhys", "Gareth", "Dafydd", "Gethin", "Huw", "Iwan", "Owain", "Aled", "Rhodri", "Dylan",
    "Geraint", "Emyr", "Meirion", "Gwyn", "Llŷr", "Ieuan", "Alun", "Hywel",
];

const WELSH_WOMEN: &[&str] = &[
    "Siân", "Ffion", "Catrin", "Rhian", "Nia", "Lowri", "Bethan", "Eleri", "Angharad", "Ceri",
    "Meinir", "Elen", "Manon", "Delyth", "Rhiannon", "Sioned", "Llinos", "Carys",
];

const CELTIC_MEN: &[&str] = &[
    "Alan", "Graeme", "Gordon", "Kenneth", "Colin", "Ewan", "Sean", "Declan", "Brendan", "Liam",
    "Ciaran", "Padraig", "Fergus", "Niall",
];

const CELTIC_WOMEN: &[&str] = &[
    "Fiona",
    "Morag",
    "Elaine",
    "Lorna",
    "Shona",
    "Siobhan",
    "Aoife",
    "Niamh",
    "Orla",
    "Mairead",
    "Bernadette",
    "Kirsty",
];

const SOUTH_ASIAN_MEN: &[&str] = &[
    "Mohammed", "Imran", "Asif", "Tariq", "Naveed", "Shahid", "Zahid", "Arif", "Kamran", "Nadeem",
];

const INDIAN_MEN: &[&str] = &[
    "Rajesh",
    "Sanjay",
    "Amit",
    "Harpreet",
    "Sukhdev",
    "Vikram",
    "Manish",
    "Deepak",
    "Jaswinder",
    "Nikhil",
];

const SOUTH_ASIAN_WOMEN: &[&str] = &[
    "Nazia", "Shabana", "Rubina", "Farzana", "Nasreen", "Sadia", "Rukhsana", "Shazia", "Parveen",
    "Uzma",
];

const INDIAN_WOMEN: &[&str] = &[
    "Priya", "Sunita", "Anjali", "Harjit", "Manpreet", "Reena", "Pooja", "Neha", "Kavita",
    "Rajinder",
];

const POLISH_MEN: &[&str] = &[
    "Piotr",
    "Tomasz",
    "Paweł",
    "Krzysztof",
    "Marcin",
    "Grzegorz",
    "Adam",
    "Michał",
    "Łukasz",
    "Dariusz",
    "Rafał",
];

const POLISH_WOMEN: &[&str] = &[
    "Agnieszka",
    "Anna",
    "Katarzyna",
    "Magdalena",
    "Joanna",
    "Monika",
    "Ewa",
    "Małgorzata",
    "Justyna",
    "Karolina",
    "Dorota",
];

const WEST_AFRICAN_MEN: &[&str] = &[
    "Olumide",
    "Chinedu",
    "Kwame",
    "Kofi",
    "Babatunde",
    "Emmanuel",
    "Samuel",
    "Ifeanyi",
    "Yaw",
    "Abdoulaye",
    "Segun",
    "Godwin",
];

const WEST_AFRICAN_WOMEN: &[&str] = &[
    "Funmilayo",
    "Ngozi",
    "Adwoa",
    "Abena",
    "Folasade",
    "Chinwe",
    "Yetunde",
    "Grace",
    "Esther",
    "Aminata",
    "Bukola",
    "Comfort",
];

const CARIBBEAN_MEN: &[&str] = &[
    "Delroy", "Winston", "Clive", "Marlon", "Everton", "Leroy", "Devon", "Trevor", "Lloyd",
    "Errol", "Andre", "Nathan",
];

const CARIBBEAN_WOMEN: &[&str] = &[
    "Marcia",
    "Sonia",
    "Yvonne",
    "Beverley",
    "Paulette",
    "Andrea",
    "Claudette",
    "Simone",
    "Donna",
    "Janice",
    "Keisha",
];

const CHINESE_MEN: &[&str] = &[
    "Wei",
    "Jun",
    "Hao",
    "Ming",
    "Chi Keung",
    "Ka Wai",
    "Jian",
    "Lei",
    "Kin",
    "Tao",
];

const CHINESE_WOMEN: &[&str] = &[
    "Li", "Mei", "Xiu Ying", "Yan", "Hong", "Wing Sze", "Pui Yee", "Jing", "Fang", "Ling",
];

const MIDDLE_EASTERN_MEN: &[&str] = &[
    "Ahmed",
    "Mohamed",
    "Hassan",
    "Abdullahi",
    "Mustafa",
    "Ali",
    "Omar",
    "Karim",
    "Said",
    "Jamal",
];

const MIDDLE_EASTERN_WOMEN: &[&str] = &[
    "Fatima", "Amina", "Hawa", "Asha", "Layla", "Noura", "Rana", "Samira", "Deeqa", "Zahra",
];

const ENGLISH_SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Harris",
    "Lewis",
    "Hughes",
    "Edwards",
    "Turner",
    "Hill",
    "Cooper",
    "Ward",
    "Morris",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "Harrison",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Mitchell",
    "Young",
    "Carter",
    "Lee",
    "Parker",
    "Collins",
    "Bennett",
    "Cook",
    "Bell",
    "Shaw",
    "Chapman",
    "Mason",
    "Hunt",
    "Webb",
    "Palmer",
    "Holmes",
    "Marshall",
    "Fletcher",
    "Barker",
    "Ellis",
    "Gibson",
    "Pearson",
    "Knight",
    "Butler",
    "Dixon",
    "Foster",
    "Russell",
    "Hudson",
    "Howard",
    "Pearce",
    "Hart",
    "Fox",
    "Payne",
    "Lawrence",
    "Barnes",
    "Goodwin",
    "Atkinson",
    "Spencer",
    "Bailey",
    "Whitehouse",
    "Ashworth",
    "Fairbrother",
    "Taylor-Brooks",
    "Ellis-Hart",
    "Ramsden",
    "Pickering",
];

const WELSH_SURNAMES: &[&str] = &[
    "Jones",
    "Williams",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Lewis",
    "Morgan",
    "Griffiths",
    "Price",
    "Rees",
    "Jenkins",
    "Owen",
    "Pritchard",
    "Powell",
    "Parry",
    "Lloyd",
    "Bowen",
    "Vaughan",
    "Pugh",
    "Howells",
    "Prosser",
    "Llewellyn",
    "Gruffydd",
    "Meredith",
    "Watkins",
    "Phillips",
    "Pryce",
    "Wyn",
    "Glyn",
    "ap Rhys",
    "Bevan",
    "Probert",
];

const SCOTTISH_SURNAMES: &[&str] = &[
    "MacDonald",
    "Campbell",
    "Stewart",
    "Robertson",
    "Murray",
    "Fraser",
    "Ross",
    "Sinclair",
    "McLeod",
    "Mackenzie",
    "Hamilton",
    "Henderson",
    "Cameron",
    "Douglas",
    "Munro",
    "Kerr",
    "Boyd",
    "Ferguson",
    "Lindsay",
];

const IRISH_SURNAMES: &[&str] = &[
    "Murphy",
    "Kelly",
    "O'Sullivan",
    "Walsh",
    "O'Brien",
    "Byrne",
    "Ryan",
    "O'Connor",
    "O'Neill",
    "Doyle",
    "McCarthy",
    "Gallagher",
    "Doherty",
    "Kennedy",
    "Lynch",
    "Quinn",
    "Brennan",
    "Ó Sé",
];

const SOUTH_ASIAN_SURNAMES: &[&str] = &[
    "Khan",
    "Ahmed",
    "Hussain",
    "Ali",
    "Shah",
    "Iqbal",
    "Malik",
    "Rahman",
    "Chaudhry",
    "Akhtar",
    "Butt",
    "Mahmood",
    "Islam",
    "Uddin",
    "Miah",
    "Choudhury",
    "Rashid",
    "Qureshi",
    "Siddiqui",
    "Anwar",
];

const INDIAN_SURNAMES: &[&str] = &[
    "Patel", "Singh", "Sharma", "Kumar", "Mistry", "Gill", "Sandhu", "Desai", "Joshi", "Parmar",
    "Bains", "Dhillon", "Mehta", "Chauhan", "Grewal",
];

const POLISH_SURNAMES: &[&str] = &[
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Jankowski",
    "Mazur",
    "Kwiatkowski",
    "Krawczyk",
    "Piotrowski",
    "Grabowski",
    "Pawłowski",
    "Michalski",
    "Król",
    "Wieczorek",
    "Wróbel",
    "Majewski",
    "Stępień",
    "Malinowski",
    "Jaworski",
];

const WEST_AFRICAN_SURNAMES: &[&str] = &[
    "Okafor",
    "Adeyemi",
    "Okonkwo",
    "Adebayo",
    "Olawale",
    "Eze",
    "Nwosu",
    "Mensah",
    "Asante",
    "Boateng",
    "Owusu",
    "Osei",
    "Appiah",
    "Adjei",
    "Okoro",
    "Ogunleye",
    "Balogun",
    "Afolabi",
    "Nwachukwu",
    "Obi",
    "Danso",
    "Sesay",
    "Kamara",
    "Jalloh",
    "Bangura",
    "Diallo",
    "Conteh",
];

const CARIBBEAN_SURNAMES: &[&str] = &[
    "Campbell",
    "Brown",
    "Williams",
    "Thompson",
    "Clarke",
    "Grant",
    "Francis",
    "Gayle",
    "Reid",
    "Morgan",
    "Henry",
    "Powell",
    "Richards",
    "Walker",
    "Bailey",
    "Edwards",
    "Daley",
    "Barnes",
    "McKenzie",
    "Forbes",
    "Samuels",
    "Blackwood",
    "Ferguson",
    "Gordon",
];

const CHINESE_SURNAMES: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Lin",
    "Chan", "Wong", "Cheung", "Leung", "Lau", "Ho", "Ng", "Lam", "Yip", "Tang",
];

const MIDDLE_EASTERN_SURNAMES: &[&str] = &[
    "Hassan", "Ahmed", "Mohamed", "Abdi", "Farah", "Osman", "Aziz", "Haddad", "Saleh", "Al-Masri",
    "Karimi", "Rahimi", "Hosseini", "Abdullah", "Nasser", "Jama", "Warsame", "Ibrahim", "Said",
];
