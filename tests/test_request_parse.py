"""openimr.request.parse_request: each notation real requests use, as a table."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openimr.errors import RequestError
from openimr.model import ParsedRequest, Schedule
from openimr.request import classify, parse_request

# -- 1. treatment ids ----------------------------------------------------------------------

TREATMENTS = [
    # physical medicine
    ("Physical therapy 12 visits for the lumbar", "physical-therapy"),
    ("PT 2x6 lumbar", "physical-therapy"),
    ("PT/OT 18 sessions left hand, right lower leg", "physical-therapy"),
    ("Physiotherapy for the neck", "physical-therapy"),
    ("Occupational therapy 6 visits for the right hand", "occupational-therapy"),
    ("Hand therapy 2x4", "occupational-therapy"),
    ("Post operative physical therapy for the right knee 2 times a week for 6 weeks",
     "postoperative-physical-therapy"),
    ("Associated surgical service: Physical Therapy sessions, 12",
     "postoperative-physical-therapy"),
    ("Post-op OT 3x4 right wrist", "postoperative-physical-therapy"),
    ("Physical therapy after knee arthroscopy, 12 visits", "postoperative-physical-therapy"),
    ("Chiropractic physiotherapy treatment 6 visits", "chiropractic"),
    ("Spinal manipulation 1 times 8", "chiropractic"),
    ("Chiropractic care for the low back; six sessions", "chiropractic"),
    ("Acupuncture therapy sessions lumbar spine #6", "acupuncture"),
    ("Electroacupuncture x 6", "acupuncture"),
    ("Massage therapy 1 time per week x 6 weeks", "massage-therapy"),
    ("Aquatic therapy 2 times a week for 6 weeks", "aquatic-therapy"),
    ("Pool therapy x 8", "aquatic-therapy"),
    ("Four sessions of biofeedback two times a week times 2 weeks", "biofeedback"),
    ("Four sessions of infrared therapy two times a week times 2 weeks", "infrared-therapy"),
    ("Ultrasound 1 times 8", "therapeutic-ultrasound"),
    ("Electrical stimulation 1 times 8", "electrical-stimulation"),
    ("Retrospective E-stim (DOS 12/29/16)", "electrical-stimulation"),
    ("TENS unit", "tens"),
    ("Transcutaneous electrical nerve stimulation unit, 30 day trial", "tens"),
    ("H-wave unit purchase", "h-wave"),
    ("Interferential unit, 30 day trial", "interferential-stimulation"),
    ("Home cervical traction unit", "traction"),
    ("Unknown shockwave treatments", "shockwave-therapy"),
    ("ESWT for the left heel, 3 sessions", "shockwave-therapy"),
    ("Four sessions of therapeutic exercise two times a week times 2 weeks",
     "therapeutic-exercise"),
    ("Four sessions of manual therapy two times a week times 2 weeks", "manual-therapy"),
    ("Hot/cold packs", "heat-cold-therapy"),
    # imaging and electrodiagnostics
    ("MRI of the lumbar spine", "mri-lumbar-spine"),
    ("MRI of the lumbar without contrast", "mri-lumbar-spine"),
    ("Lumbar MRI", "mri-lumbar-spine"),
    ("MRI scan of the cervical spine", "mri-cervical-spine"),
    ("MRI of the neck", "mri-cervical-spine"),
    ("MRI of the thoracic spine", "mri-thoracic-spine"),
    ("MRI (magnetic resonance imaging) of the left shoulder", "mri-shoulder"),
    ("Left knee MRI without contrast", "mri-knee"),
    ("MRI of the right foot", "mri-other"),
    ("MRI of the brain", "mri-other"),
    ("MRI", "mri-other"),
    ("MR Arthrogram of the right shoulder", "mr-arthrogram"),
    ("MRI arthrogram of the left hip", "mr-arthrogram"),
    ("CT scan of abdomen and pelvis with contrast", "ct-scan"),
    ("X-Ray of the lumbar spine", "xray-lumbar-spine"),
    ("X-rays of the cervical spine", "xray-cervical-spine"),
    ("X-rays of the thoracic spine", "xray-thoracic-spine"),
    ("X-rays of the left shoulder", "xray-shoulder"),
    ("Right knee x-rays, 3 views", "xray-knee"),
    ("X-ray of the pelvis", "xray-other"),
    ("X-rays of the head", "xray-other"),
    ("Diagnostic ultrasound of the right shoulder", "diagnostic-ultrasound"),
    ("Bone scan", "bone-scan"),
    ("EMG/NCV of the hip, lumbar", "emg-ncv"),
    ("NCV/EMG of bilateral upper extremities", "emg-ncv"),
    ("EMG and nerve conduction studies of the bilateral lower extremities", "emg-ncv"),
    ("Electrodiagnostic studies of the bilateral lower extremities", "emg-ncv"),
    ("EMG of the left upper extremity", "emg"),
    ("Nerve Conduction Studies of the left upper extremity", "ncv"),
    ("NCS right upper extremity", "ncv"),
    # a manipulation under anesthesia is a procedure of its own, not chiropractic care
    ("Manipulation under anesthesia of the lumbar spine, 3 sessions", "manipulation-under-anesthesia"),
    ("MUA thoracolumbar x2", "manipulation-under-anesthesia"),
    ("Spinal manipulation under general anesthesia", "manipulation-under-anesthesia"),
    ("Chiropractic spinal manipulation 2x4", "chiropractic"),
    ("Left shoulder manipulation under anesthesia", "shoulder-arthroscopy"),
    # evaluations and tests
    ("Functional capacity evaluation", "functional-capacity-evaluation"),
    ("Range of motion of test", "range-of-motion-testing"),
    ("Computerized range of motion testing", "range-of-motion-testing"),
    ("Jamar grip test", "grip-strength-testing"),
    ("Urine Test", "urine-drug-test"),
    ("Urine drug testing", "urine-drug-test"),
    ("Urine toxicology screen", "urine-drug-test"),
    ("Pre-op urinalysis", "preoperative-labs"),
    ("Labs: CBC, CMP", "laboratory-test"),
    ("Hepatic function panel", "laboratory-test"),
    ("Genetic testing for opioid risk", "genetic-testing"),
    ("Sleep study", "sleep-study"),
    # injections
    ("Facet joint injections L4-5, L5-S1", "facet-joint-injection"),
    ("Right L4 transforaminal epidural steroid injection under fluoroscopic guidance",
     "epidural-steroid-injection"),
    ("Lumbar ESI at L5-S1", "epidural-steroid-injection"),
    ("Cervical epidural steroid injection C6-7", "epidural-steroid-injection"),
    ("Bilateral L4-5 and L5-S1 medial branch blocks", "medial-branch-block"),
    ("Radiofrequency ablation bilateral L3-4, L4-5", "radiofrequency-ablation"),
    ("Lumbar rhizotomy", "radiofrequency-ablation"),
    ("Right L3, L4, L5 medial branch radiofrequency neurotomy", "radiofrequency-ablation"),
    ("Facet joint radiofrequency ablation L4-5 bilateral", "radiofrequency-ablation"),
    ("Trigger point injections x 4", "trigger-point-injection"),
    ("Right SI joint injection", "sacroiliac-joint-injection"),
    ("One platelet-rich plasma injection to the right knee", "prp-injection"),
    ("Left shoulder cortisone injection", "joint-corticosteroid-injection"),
    ("Ultrasound-guided corticosteroid injection right shoulder",
     "joint-corticosteroid-injection"),
    ("Synvisc-One injection right knee", "viscosupplementation"),
    ("Occipital nerve block", "nerve-block"),
    ("Botox injections for headaches", "botulinum-toxin-injection"),
    # medications
    ("Norco 7.5-325mg #112", "opioid"),
    ("Post-op Norco 5/325mg #60, 1-2 tabs orally every 4-6 hrs as needed", "opioid"),
    ("Hydrocodone/APAP 10/325mg #90", "opioid"),
    ("Percocet 10/325mg 1 tab every 6 hours #120", "opioid"),
    ("OxyContin 20mg #60", "opioid"),
    ("Nucynta ER 100mg #60", "opioid"),
    ("Tapentadol 50mg #60", "opioid"),
    ("MS Contin 15mg #60", "opioid"),
    ("Butrans patch 10mcg/hr #4", "opioid"),
    ("Fentanyl patch 25mcg/hr #10", "opioid"),
    ("Tylenol #3 #60", "opioid"),
    ("Tramadol (Ultram) 50mg take 1 tab orally every 4-6 hours as needed #30", "tramadol"),
    ("Ultracet 37.5/325mg #60", "tramadol"),
    ("Naproxen 500mg #60", "nsaid"),
    ("Motrin 600mg #40", "nsaid"),
    ("Meloxicam (Mobic) 7.5mg #30", "nsaid"),
    ("Diclofenac sodium ER 100mg #30", "nsaid"),
    ("Celebrex 200mg #30", "nsaid"),
    ("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill",
     "proton-pump-inhibitor"),
    ("Omeprazole 20mg #60", "proton-pump-inhibitor"),
    ("Pepcid 20mg", "h2-blocker"),
    ("Ranitidine 150mg #60", "h2-blocker"),
    ("Norflex 100mg #60", "muscle-relaxant"),
    ("Cyclobenzaprine 7.5mg #60", "muscle-relaxant"),
    ("Baclofen 20mg #60", "muscle-relaxant"),
    ("Tizanidine 4mg #60", "muscle-relaxant"),
    ("Soma 350mg #90", "muscle-relaxant"),
    ("Methocarbamol 750mg #90", "muscle-relaxant"),
    ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill",
     "topical-nsaid"),
    ("Flector patch 1.3% #30", "topical-nsaid"),
    ("Ketoprofen 20% cream", "topical-nsaid"),
    ("Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill",
     "lidocaine-patch"),
    ("Lidocaine 5% patch #30", "lidocaine-patch"),
    ("Anecream cream 4% #30", "topical-analgesic"),
    ("Salonpas pad #60", "topical-analgesic"),
    ("Keratek gel 4oz", "topical-analgesic"),
    ("Inferential stimulator rental", "interferential-stimulation"),
    ("Capsaicin 0.075% cream", "topical-analgesic"),
    ("Flurbiprofen 20%, Baclofen 5%, Dexamethasone 2%, Menthol 2%, Capsaicin 0.025% in cream base",
     "topical-compound"),
    ("Gabapentin 10%, Cyclobenzaprine 6%, Bupivacaine 5% in cream base", "topical-compound"),
    ("Gabapentin 6% cream 120gm", "topical-compound"),
    ("Terocin patches #30", "topical-compound"),
    ("Ambien 10mg #30", "sleep-aid"),
    ("Zolpidem 5mg #30", "sleep-aid"),
    ("Diazepam (Valium) 5mg take 1 tab orally 1 hour before exam", "benzodiazepine"),
    ("Xanax 0.5mg #30", "benzodiazepine"),
    ("Cymbalta 60mg #30", "antidepressant"),
    ("Amitriptyline 25mg #30", "antidepressant"),
    ("Gabapentin 600mg #90 with 2 refills", "anticonvulsant"),
    ("Lyrica 75mg #60", "anticonvulsant"),
    ("Post-op Colace 100mg #60, 1 tablet by mouth as needed", "stool-softener"),
    ("Senokot-S #60", "stool-softener"),
    ("Zofran 4mg #20", "antiemetic"),
    ("Theramine #120", "medical-food"),
    ("Fioricet #30", "medication-other"),
    ("Xyzzyl 10mg #30", "medication-other"),
    # visits and psychological care
    ("Physical exam 2 times 8", "office-visit"),
    ("Initial exam", "office-visit"),
    ("Follow-up visit with anesthesiologist for the lumbar", "office-visit"),
    ("Medication management consultation", "office-visit"),
    ("Orthopedic consultation for the right shoulder", "specialist-consultation"),
    ("Referral to pain management", "specialist-consultation"),
    ("Initial exam with an orthopedic surgeon", "specialist-consultation"),
    ("Comprehensive psychological testing", "psychological-testing"),
    ("Psychological evaluation", "psychological-evaluation"),
    # a parenthetical remark between the words: read again without it
    ("Behavioral (psychological) evaluation", "psychological-evaluation"),
    ("Psychological (behavioral) evaluation", "psychological-evaluation"),
    # sedation for a procedure
    ("Monitored anesthesia care for the epidural injection", "anesthesia"),
    ("Psychiatric consultation", "psychological-evaluation"),
    ("Psychological clearance for spinal cord stimulator", "psychological-evaluation"),
    ("Orthopedic surgeon follow up", "office-visit"),
    ("Spine surgery consultation", "specialist-consultation"),
    ("Cognitive behavioral therapy x 6", "psychotherapy"),
    ("Psychotherapy 6 sessions", "psychotherapy"),
    ("Pain psychology 6 sessions", "psychotherapy"),
    # programmes and care
    ("Functional restoration program 80 hours", "functional-restoration-program"),
    ("Work hardening 10 sessions", "work-conditioning"),
    ("Work conditioning 12 visits", "work-conditioning"),
    ("Home health care 4 hours a day, 5 days a week for 6 weeks", "home-health-care"),
    ("Acute inpatient rehabilitation physical therapy and occupational therapy 7-10 days",
     "inpatient-rehabilitation"),
    ("Partial Hospitalization day treatment", "partial-hospitalization"),
    # equipment
    ("Lumbar support", "dme-brace"),
    ("Wrist braces #2", "dme-brace"),
    ("Associated surgical service: Shoulder Brace", "dme-brace"),
    ("Associated surgical service: Cryotherapy unit, seven day use", "cold-therapy-unit"),
    ("Continuous passive motion device for 21 days", "continuous-passive-motion"),
    ("Cervical pillow", "dme-other"),
    ("Wedge pillow", "dme-other"),
    ("Sit-stand workstation", "ergonomic-workstation"),
    ("Ergonomic chair", "ergonomic-workstation"),
    ("Ergonomic keyboard and vertical mouse", "ergonomic-workstation"),
    ("Bedside commode", "dme-other"),
    ("Large gloves", "dme-other"),
    ("Hygiene wipes", "dme-other"),
    ("Front wheeled walker", "walking-aid"),
    ("Custom orthotics", "orthotics"),
    # surgery and around it
    ("Right knee arthroscopy with evaluation of ACL, medical meniscectomy", "knee-arthroscopy"),
    ("Arthroscopy of the left knee", "knee-arthroscopy"),
    ("Right Shoulder Arthroscopy with rotator cuff repair vs debridement, subacromial "
     "decompression/acromioplasty and possible proximal biceps tenodynovitis",
     "shoulder-arthroscopy"),
    ("L5-S1 microdiscectomy", "spine-surgery"),
    ("Lumbar fusion L4-S1", "spine-surgery"),
    ("L4-5 decompression and fusion", "spine-surgery"),
    ("Toradol 60mg IM injection", "injection-other"),
    ("Toradol 10mg tablets #20", "nsaid"),
    ("Fusion at C5-6", "spine-surgery"),
    ("Right carpal tunnel release", "carpal-tunnel-release"),
    ("Total knee replacement, left", "knee-arthroplasty"),
    ("Left trigger thumb release", "surgery-other"),
    ("Spinal cord stimulator trial", "spinal-cord-stimulator"),
    ("Preoperative Medical Clearance", "preoperative-clearance"),
    ("Pre-op Clearance", "preoperative-clearance"),
    ("Pre-op labs: CBC", "preoperative-labs"),
    ("Pre-op labs: PT/PTT", "preoperative-labs"),
    ("Pre-op chest x-ray", "preoperative-xray"),
    ("Pre-op EKG", "preoperative-ekg"),
    ("PA assist", "surgical-assistant"),
    ("Associated surgical service: Assistant surgeon", "surgical-assistant"),
    ("Associated surgical service: 1 day inpatient stay", "inpatient-stay"),
    # compounded oral suspensions, medical foods
    ("Synapryn 10mg/1ml oral suspension 500ml", "compounded-oral-suspension"),
    ("Tabradol 1mg/ml oral suspension 250ml", "compounded-oral-suspension"),
    ("Deprizine 15mg/ml oral suspension", "compounded-oral-suspension"),
    ("Dicopanol 5mg/ml oral suspension 150ml", "compounded-oral-suspension"),
    ("Fanatrex (gabapentin) 25mg/ml oral suspension 420ml", "compounded-oral-suspension"),
    ("Gabapentin 25mg/ml oral suspension compounding kit", "compounded-oral-suspension"),
    ("Compounded tramadol oral suspension 420 ml", "compounded-oral-suspension"),
    ("Ondansetron oral suspension 4mg/5ml", "antiemetic"),
    ("Gabapentin 600mg #90", "anticonvulsant"),
    ("Sentradine #60", "medical-food"),
    ("Sentra PM #60", "medical-food"),
    ("Percura #120", "medical-food"),
    # tests of the heart, the brain and the spinal cord
    ("EKG", "ekg"),
    ("Associated surgical service: EKG", "preoperative-ekg"),
    ("Associated surgical service: CBC", "preoperative-labs"),
    ("12-lead ECG", "ekg"),
    ("Somatosensory evoked potentials of the lower extremities", "evoked-potentials"),
    ("Intraoperative neuromonitoring", "evoked-potentials"),
    ("EEG", "eeg"),
    ("Quantitative EEG", "eeg"),
    # electrical stimulation, traction, heat and cold
    ("TENS/EMS combo unit purchase", "electrical-stimulation"),
    ("Neurostimulator TENS-EMS, 1 month rental", "electrical-stimulation"),
    ("TENS unit 30 day rental", "tens"),
    ("Spinal cord stimulator trial with a neurostimulator", "spinal-cord-stimulator"),
    ("PENS 4 sessions", "pens"),
    ("Percutaneous electrical nerve stimulation", "pens"),
    ("MENS unit", "microcurrent-stimulation"),
    ("Microcurrent stimulation 6 sessions", "microcurrent-stimulation"),
    ("Galvanic stimulation", "galvanic-stimulation"),
    ("Calmare scrambler therapy 10 sessions", "scrambler-therapy"),
    ("Pneumatic cervical traction device", "traction"),
    ("Pneumatic decompression device", "traction"),
    ("Cervical decompression and fusion C5-6", "spine-surgery"),
    ("Heat pad", "heat-cold-therapy"),
    ("Thermophore moist heating pad", "heat-cold-therapy"),
    ("DME: hot/cold wrap", "heat-cold-therapy"),
    ("DME: lumbar brace", "dme-brace"),
    ("DME purchase: cold therapy unit", "cold-therapy-unit"),
    ("DME", "dme-other"),
    ("Orthopedic mattress", "dme-other"),
    ("Hospital bed", "dme-other"),
    ("LSO brace", "dme-brace"),
    # home care
    ("HHA 4 hrs/day x 5 days/week", "home-health-care"),
    ("Home health nursing for wound care 2x/week", "home-health-care"),
    ("Skilled nursing visits 2x/week x 4 weeks", "home-health-care"),
    ("Skilled nursing facility 10 days", "skilled-nursing-facility"),
    # a nasal spray is not a topical for the skin
    ("Narcan nasal spray", "medication-other"),
    ("Lidocaine spray", "topical-analgesic"),
    # nothing in the catalogue fits: no guess
    ("Unknown item", None),
    ("Other", None),
    ("Pain management", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), TREATMENTS)
def test_treatment_id(text: str, expected: str | None) -> None:
    assert classify(text) == expected


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("Home health aide 8 hours per day, 7 days per week", 56),
        ("HHA 4 hrs/day x 5 days/week", 20),
        ("Home care assistance 8 hours a day", 56),
        ("In-home caregiver 24/7", 168),
        ("Housekeeping 4 hours per week", 4),
    ],
)
def test_care_hours_are_read_per_week(text: str, hours: int) -> None:
    p = parse_request(text)
    assert p.treatment == "home-health-care"
    assert (p.quantity, p.quantity_unit) == (hours, "hours per week")


def test_a_lso_brace_is_a_lumbar_support() -> None:
    assert parse_request("LSO brace").body_regions == ("lumbar-spine",)
    assert set(parse_request("TLSO").body_regions) == {"thoracic-spine", "lumbar-spine"}


def test_a_branded_suspension_names_its_drug() -> None:
    p = parse_request("Synapryn 10mg/1ml oral suspension 500ml")
    assert p.drug is not None and "tramadol" in p.drug and "glucosamine" in p.drug
    assert p.dosage_form == "suspension"


def test_category_follows_the_catalogue() -> None:
    assert parse_request("Norco 10/325mg #60").category == "medications-opioids"
    assert parse_request("MRI of the right knee").category == "diagnostic-imaging"
    assert parse_request("Unknown item").category is None


# -- 2. quantity and schedule --------------------------------------------------------------

S = Schedule

AMOUNTS: list[tuple[str, int | None, str | None, Schedule | None]] = [
    ("Physical therapy 12 visits for the lumbar", 12, "visits", None),
    ("Acupuncture therapy sessions lumbar spine #6", 6, "sessions", None),
    ("Chiropractic care for the low back; six sessions", 6, "sessions", None),
    ("Twelve sessions of physical therapy", 12, "sessions", None),
    ("Eight physical therapy sessions for the neck", 8, "sessions", None),
    ("Six physical therapy visits for the lumbar", 6, "visits", None),
    ("Physical Therapy sessions, 12", 12, "sessions", None),
    ("Physical therapy x 12", 12, "visits", None),
    ("Physical therapy twelve (12) sessions", 12, "sessions", None),
    ("PT 2x6 lumbar", None, None, S(per_week=2, weeks=6)),
    ("Physical therapy 2 x 6 for the right knee", None, None, S(per_week=2, weeks=6)),
    ("Spinal manipulation 1 times 8", None, None, S(per_week=1, weeks=8)),
    ("Physical exam 2 times 8", None, None, S(per_week=2, weeks=8)),
    ("Chiropractic twice a week for 4 weeks", None, None, S(per_week=2, weeks=4)),
    ("Acupuncture for the cervical and thoracic spine two times a week times three weeks",
     None, None, S(per_week=2, weeks=3)),
    ("Initial acupuncture, 1 to 2 times per week for 4 weeks, for the neck",
     None, None, S(per_week=1, per_week_max=2, weeks=4)),
    ("Physical therapy 2-3 times a week for 6 weeks",
     None, None, S(per_week=2, per_week_max=3, weeks=6)),
    ("Physical therapy 2-3x per week for 4-6 weeks",
     None, None, S(per_week=2, per_week_max=3, weeks=4, weeks_max=6)),
    ("Physical therapy 3x/week x 4 weeks", None, None, S(per_week=3, weeks=4)),
    ("Physical therapy 3x4 weeks", None, None, S(per_week=3, weeks=4)),
    ("Physical therapy 12 visits over 6 weeks", 12, "visits", S(weeks=6)),
    ("Interferential unit rental 2 months", 2, "months", None),
    ("Physical therapy once a week for six weeks", None, None, S(per_week=1, weeks=6)),
    ("Massage therapy 1 time per week x 6 weeks", None, None, S(per_week=1, weeks=6)),
    ("PT/OT two to three times a week for six to eight weeks (24 sessions) left hand",
     24, "sessions", S(per_week=2, per_week_max=3, weeks=6, weeks_max=8)),
    ("Physical therapy to the lumbar spine 2 times a week for 2 weeks (4)",
     4, "visits", S(per_week=2, weeks=2)),
    ("Additional physical therapy two times four visits (8) for the lumbar and bilateral knees",
     8, "visits", S(per_week=2, weeks=4)),
    ("Four sessions of physical therapy two times a week times 2 weeks",
     4, "sessions", S(per_week=2, weeks=2)),
    ("Twelve physical therapy sessions, three times weekly, for the right elbow",
     12, "sessions", S(per_week=3)),
    ("Continue physical therapy 3 times a week for 2 weeks", None, None, S(per_week=3, weeks=2)),
    ("Wrist braces #2", 2, "units", None),
    ("One platelet-rich plasma injection to the right knee", 1, "injections", None),
    ("Trigger point injections x 4", 4, "injections", None),
    ("Associated surgical service: Cryotherapy unit, seven day use", 7, "days", None),
    ("TENS unit 30 day rental", 30, "days", None),
    ("Functional restoration program 80 hours", 80, "hours", None),
    ("Home health care 4 hours a day, 5 days a week for 6 weeks",
     20, "hours per week", S(per_week=5, weeks=6)),
    ("Norco 7.5-325mg #112", 112, "tablets", None),
    ("Salonpas pad #60", 60, "patches", None),
    ("Anecream cream 4% #30", 30, "grams", None),
    ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill", 60, "grams",
     None),
    ("Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill",
     1, "boxes", None),
    ("Terocin lotion 120ml", 120, "ml", None),
    ("Gabapentin 300mg capsules #90", 90, "capsules", None),
    ("Tylenol #3 #60", 60, "tablets", None),
    ("Pepcid 20mg", None, None, None),
    ("MRI of the lumbar spine", None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "quantity", "unit", "schedule"), AMOUNTS)
def test_quantity_and_schedule(
    text: str, quantity: int | None, unit: str | None, schedule: Schedule | None
) -> None:
    r = parse_request(text)
    assert (r.quantity, r.quantity_unit, r.schedule) == (quantity, unit, schedule)


def test_range_of_days_keeps_both_ends() -> None:
    r = parse_request("Acute inpatient rehabilitation 7-10 days for left foot fracture")
    assert (r.quantity, r.quantity_max, r.quantity_unit) == (7, 10, "days")


@pytest.mark.parametrize(
    ("text", "sessions"),
    [
        ("PT 2x6 lumbar", 12),
        ("Physical exam 2 times 8", 16),
        ("Spinal manipulation 1 times 8", 8),
        ("PT/OT two to three times a week for six to eight weeks (24 sessions)", 24),
        ("Physical therapy 2-3 times a week for 6 weeks", 18),
        ("Physical therapy 12 visits", 12),
        ("Physical therapy 3 times weekly", None),
    ],
)
def test_sessions_asked_for(text: str, sessions: int | None) -> None:
    assert parse_request(text).sessions == sessions


def test_daily_directions_are_not_a_weekly_schedule() -> None:
    r = parse_request("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill")
    assert r.schedule is None
    assert r.quantity == 60


# -- 3. medications ------------------------------------------------------------------------

DRUGS: list[tuple[str, dict[str, Any]]] = [
    ("Norco 10/325mg #60", {"drug": "hydrocodone/acetaminophen", "brand": "Norco",
                            "strength": "10/325mg", "quantity": 60, "drug_class": "opioid"}),
    ("Norco 7.5-325mg #112", {"strength": "7.5-325mg", "quantity": 112}),
    ("Norco 10/325 #120", {"strength": "10/325", "quantity": 120}),
    ("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill",
     {"drug": "pantoprazole", "brand": None, "strength": "40mg", "quantity": 60, "refills": 1,
      "directions": "one by mouth, twice a day", "drug_class": "proton pump inhibitor"}),
    ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill",
     {"drug": "diclofenac", "brand": "Voltaren Gel", "quantity_unit": "grams", "refills": 1,
      "directions": "apply to affected area 4 times a day", "dosage_form": "gel"}),
    ("Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill",
     {"drug": "lidocaine", "brand": "Lidoderm", "quantity": 1, "quantity_unit": "boxes",
      "directions": "12 hours on 12 hours off to affected area", "refills": 1}),
    ("Post-op Norco 5/325mg #60, 1-2 tabs orally every 4-6 hrs as needed",
     {"strength": "5/325mg", "directions": "1-2 tabs orally every 4-6 hrs as needed"}),
    ("Diazepam (Valium) 5mg take 1 tab orally 1 hour before exam, may repeat dose 1/2 hour "
     "after first dose for anxiety",
     {"drug": "diazepam", "brand": "Valium", "strength": "5mg", "quantity": None,
      "purpose": "anxiety", "drug_class": "benzodiazepine",
      "directions": "take 1 tab orally 1 hour before exam, may repeat dose 1/2 hour after "
                    "first dose for anxiety"}),
    ("Tramadol (Ultram) 50mg take 1 tab orally every 4-6 hours as needed for moderate to "
     "severe pain #30",
     {"drug": "tramadol", "brand": "Ultram", "quantity": 30, "purpose": "moderate to severe pain",
      "directions": "take 1 tab orally every 4-6 hours as needed for moderate to severe pain"}),
    ("Meloxicam (Mobic) 7.5mg #30", {"drug": "meloxicam", "brand": "Mobic", "strength": "7.5mg"}),
    ("Motrin 600mg #40", {"drug": "ibuprofen", "brand": "Motrin", "refills": None}),
    ("Norflex 100mg #60",
     {"drug": "orphenadrine", "drug_class": "muscle relaxant (antispasmodic)"}),
    ("Baclofen 20mg #60", {"drug_class": "muscle relaxant (antispasticity)"}),
    ("Butrans patch 10mcg/hr #4", {"drug": "buprenorphine", "strength": "10mcg/hr",
                                   "quantity_unit": "patches"}),
    ("Anecream cream 4% #30", {"drug": "lidocaine", "brand": "Anecream", "strength": "4%"}),
    ("Gabapentin 600mg #90 with 2 refills", {"refills": 2}),
    ("Percocet 10/325mg 1 tab every 6 hours #120", {"directions": "1 tab every 6 hours"}),
    ("Toradol injection 60mg IM", {"drug": "ketorolac", "brand": "Toradol", "strength": "60mg"}),
    ("Xyzzyl 10mg #30", {"drug": "xyzzyl", "strength": "10mg", "quantity": 30}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), DRUGS)
def test_drug_fields(text: str, expected: dict[str, Any]) -> None:
    r = parse_request(text)
    assert {k: getattr(r, k) for k in expected} == expected


def test_compound_lists_its_ingredients_with_strengths() -> None:
    r = parse_request(
        "Flurbiprofen 20%, Baclofen 5%, Dexamethasone 2%, Menthol 2%, Capsaicin 0.025% "
        "in cream base"
    )
    assert r.treatment == "topical-compound"
    assert r.ingredients == (
        "flurbiprofen 20%",
        "baclofen 5%",
        "dexamethasone 2%",
        "menthol 2%",
        "capsaicin 0.025%",
    )
    assert [c.drug_class for c in r.components][:2] == ["NSAID", "muscle relaxant (antispasticity)"]
    assert r.drug is None and r.strength is None


def test_compound_with_unknown_ingredient_keeps_it() -> None:
    r = parse_request("Gabapentin 10%, Cyclobenzaprine 6%, Bupivacaine 5% in cream base")
    assert r.ingredients == ("gabapentin 10%", "cyclobenzaprine 6%", "bupivacaine 5%")
    assert r.components[2].drug_class is None


def test_compound_with_a_list_of_strengths() -> None:
    r = parse_request("Flurbiprofen/Cyclobenzaprine/Menthol cream (20%/10%/4%) 180gm")
    assert r.treatment == "topical-compound"
    assert r.ingredients == ("flurbiprofen 20%", "cyclobenzaprine 10%", "menthol 4%")
    assert (r.quantity, r.quantity_unit) == (180, "grams")


def test_compound_written_with_slashes() -> None:
    r = parse_request("Compound cream: Ketoprofen 20%/Lidocaine 5% 120gm")
    assert r.ingredients == ("ketoprofen 20%", "lidocaine 5%")
    assert (r.quantity, r.quantity_unit) == (120, "grams")


# -- 4. regions and side -------------------------------------------------------------------

REGIONS: list[tuple[str, tuple[str, ...], str | None]] = [
    ("MRI of the right knee without contrast", ("knee",), "right"),
    ("X-rays of the left shoulder", ("shoulder",), "left"),
    ("Additional physical therapy two times four visits (8) for the lumbar and bilateral knees",
     ("lumbar-spine", "knee"), "bilateral"),
    ("PT/OT 18 sessions left hand, right lower leg", ("hand", "leg"), "bilateral"),
    ("Twelve sessions of physical therapy for the right shoulder, right wrist and right hand",
     ("shoulder", "wrist", "hand"), "right"),
    ("Acupuncture for the cervical and thoracic spine", ("cervical-spine", "thoracic-spine"),
     None),
    ("Retrospective TENS unit, purchase, lumbar spine, left hip, lower leg, and knee",
     ("lumbar-spine", "hip", "leg", "knee"), "left"),
    ("Chiropractic care for the low back", ("lumbar-spine",), None),
    ("Eight physical therapy sessions for the neck", ("cervical-spine",), None),
    ("EMG of the left upper extremity", ("upper-extremity",), "left"),
    ("CT scan of abdomen and pelvis with contrast", ("abdomen", "pelvis"), None),
    ("X-rays of the head", ("head",), None),
    ("Facet joint injections L4-5, L5-S1", ("lumbar-spine",), None),
    ("Cervical epidural steroid injection C6-7", ("cervical-spine",), None),
    ("MRI of the spine", ("spine",), None),
    ("MRI of the lumbar spine", ("lumbar-spine",), None),
    ("EMG/NCS bilateral lower extremities", ("lower-extremity",), "bilateral"),
    # one noun shared by two limbs names both
    ("Nerve conduction studies of the upper and lower limbs", ("upper-extremity",
     "lower-extremity"), None),
    ("EMG both lower and upper extremities", ("lower-extremity", "upper-extremity"),
     "bilateral"),
    ("Norco 10/325mg #60", (), None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "regions", "side"), REGIONS)
def test_regions_and_side(text: str, regions: tuple[str, ...], side: str | None) -> None:
    r = parse_request(text)
    assert (r.body_regions, r.side) == (regions, side)


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("Facet joint injections L4-5, L5-S1", ("L4-L5", "L5-S1")),
        ("Right L4 transforaminal epidural steroid injection", ("L4",)),
        ("Cervical epidural steroid injection C6-7", ("C6-C7",)),
        ("Lumbar fusion L4-S1", ("L4-S1",)),
        ("Physical therapy 2 x 6", ()),
    ],
)
def test_spinal_levels(text: str, levels: tuple[str, ...]) -> None:
    assert parse_request(text).spinal_levels == levels


def test_imaging_contrast() -> None:
    assert parse_request("MRI of the lumbar without contrast").contrast == "without"
    assert parse_request("CT scan of abdomen and pelvis with contrast").contrast == "with"
    assert parse_request("MRI brain with and without contrast").contrast == "with-and-without"
    assert parse_request("MRI of the lumbar spine").contrast is None


def test_device_purchase_rental_trial() -> None:
    assert parse_request("TENS unit, purchase").acquisition == "purchase"
    assert parse_request("Cold therapy unit 14 day rental").acquisition == "rental"
    assert parse_request("Interferential unit, 30 day trial").acquisition == "trial"


def test_specialty_of_a_visit() -> None:
    assert parse_request("Follow-up visit with anesthesiologist").specialty == "anesthesiology"
    assert parse_request("Orthopedic consultation").specialty == "orthopedic-surgery"
    assert parse_request("Orthopedic shoes").specialty is None


def test_purpose_of_a_request() -> None:
    assert parse_request("Acute inpatient rehab 7-10 days for left foot fracture").purpose == (
        "left foot fracture"
    )
    assert parse_request("Physical therapy for the right knee").purpose is None
    assert parse_request("Physical therapy for 6 weeks").purpose is None


# -- 5. modified requests ------------------------------------------------------------------


def test_remaining_portion_of_a_modified_request() -> None:
    text = (
        "PT/OT two to three times a week for six to eight weeks (24 sessions) left hand, right "
        "lower leg was the original request. PT/OT 6 sessions left hand, right lower leg was "
        "authorized by the Claims Administrator. The remaining IMR eligible portion of the "
        "original request, PT/OT 18 sessions left hand, right lower leg is"
    )
    r = parse_request(text)
    assert r.original_request == (
        "PT/OT two to three times a week for six to eight weeks (24 sessions) left hand, "
        "right lower leg"
    )
    assert r.authorized == "PT/OT 6 sessions left hand, right lower leg"
    assert r.disputed == "PT/OT 18 sessions left hand, right lower leg"
    assert (r.quantity, r.quantity_unit, r.schedule) == (18, "sessions", None)
    assert r.treatment == "physical-therapy"
    assert r.text == text


def test_original_request_left_eligible() -> None:
    r = parse_request(
        "Acupuncture treatments (unspecified quantity) was the original request. The Claims "
        "Administrator authorized Acupuncture treatments, 6 sessions, leaving the original "
        "request IMR eligible. The original request, Acupuncture treatments (unspecified "
        "quantity) is"
    )
    assert r.original_request == "Acupuncture treatments (unspecified quantity)"
    assert r.authorized == "Acupuncture treatments, 6 sessions"
    assert r.disputed == "Acupuncture treatments (unspecified quantity)"
    assert r.quantity is None


def test_original_request_of_a_different_treatment_authorized() -> None:
    r = parse_request(
        "Physical therapy 2 times a week for 6 weeks (12 sessions) to the right elbow was the "
        "original request. The Claims Administrator authorized 2 sessions of occupational "
        "therapy, leaving the original request IMR eligible. The original request, physical "
        "therapy 2 times a week for 6 weeks (12 sessions) to the right elbow is"
    )
    assert r.authorized == "2 sessions of occupational therapy"
    assert r.treatment == "physical-therapy"
    assert (r.quantity, r.body_regions, r.side) == (12, ("elbow",), "right")


@pytest.mark.parametrize(
    ("text", "disputed", "treatment", "quantity"),
    [
        (
            "authorized by the Claims Administrator. The remaining IMR eligible portion of the "
            "original request, Chiropractic physiotherapy treatment 6 visits is",
            "Chiropractic physiotherapy treatment 6 visits",
            "chiropractic",
            6,
        ),
        (
            "request IMR eligible. The original request, Acute inpatient rehabilitation "
            "physical therapy and occupational therapy 7-10 days for left foot fracture is",
            "Acute inpatient rehabilitation physical therapy and occupational therapy 7-10 "
            "days for left foot fracture",
            "inpatient-rehabilitation",
            7,
        ),
        (
            "by the Claims Administrator. The remaining IMR eligible portion of the original "
            "request, Physical therapy to the lumbar spine 2 times a week for 2 weeks (4) is",
            "Physical therapy to the lumbar spine 2 times a week for 2 weeks (4)",
            "physical-therapy",
            4,
        ),
        (
            "Physical therapy evaluation and treatment 3 times a week for 4 weeks (12 sessions) "
            "was the original request. Physical therapy for 10 sessions was authorized by the "
            "Claims Administrator. The remaining IMR eligible portion of the original request, "
            "2 sessions of physical therapy is: Upheld",
            "2 sessions of physical therapy",
            "physical-therapy",
            2,
        ),
        (
            "The treatment requested for review included six sessions of physical therapy to "
            "the lumbar spine as the original request. Two sessions of physical therapy to the "
            "lumbar spine was authorized by the Claims Administrator. The remaining IMR eligible "
            "portion of the original request, four sessions of physical therapy to the lumbar "
            "spine was denied by utilization review on January 23, 2017.",
            "four sessions of physical therapy to the lumbar spine",
            "physical-therapy",
            4,
        ),
        (
            "The original request is physical therapy 2 times a week for 6 weeks (12 sessions) "
            "to the right elbow.",
            "physical therapy 2 times a week for 6 weeks (12 sessions) to the right elbow",
            "physical-therapy",
            12,
        ),
    ],
)
def test_truncated_and_narrative_forms(
    text: str, disputed: str, treatment: str, quantity: int
) -> None:
    r = parse_request(text)
    assert (r.disputed, r.treatment, r.quantity) == (disputed, treatment, quantity)


def test_narrative_form_names_the_original_and_authorized_parts() -> None:
    r = parse_request(
        "The treatment requested for review included six sessions of physical therapy to the "
        "lumbar spine as the original request. Two sessions of physical therapy to the lumbar "
        "spine was authorized by the Claims Administrator. The remaining IMR eligible portion "
        "of the original request, four sessions of physical therapy to the lumbar spine was "
        "denied by utilization review on January 23, 2017."
    )
    assert r.original_request == "six sessions of physical therapy to the lumbar spine"
    assert r.authorized == "Two sessions of physical therapy to the lumbar spine"


def test_plain_request_is_its_own_disputed_part() -> None:
    r = parse_request("  MRI of the   lumbar spine ")
    assert r.disputed == "MRI of the lumbar spine"
    assert r.original_request is None and r.authorized is None


# -- 6. retrospective and perioperative ----------------------------------------------------

FLAGS: list[tuple[str, bool, dt.date | None, str | None, bool]] = [
    ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill, "
     "DOS: 11/11/2016", True, dt.date(2016, 11, 11), None, False),
    ("Retrospective TENS unit, purchase, lumbar spine (DOS 12/29/16)",
     True, dt.date(2016, 12, 29), None, False),
    ("Retrospective E-stim", True, None, None, False),
    ("Retro Norco 10/325mg #60 DOS: 1/5/17", True, dt.date(2017, 1, 5), None, False),
    ("Urine drug screen, date of service 2016-10-12", True, dt.date(2016, 10, 12), None, False),
    ("Pre-op chest x-ray", False, None, "pre", False),
    ("Preoperative Medical Clearance", False, None, "pre", False),
    ("Post-op Norco 5/325mg #60", False, None, "post", False),
    ("Post operative physical therapy for the right knee", False, None, "post", False),
    ("Postoperative cold therapy unit", False, None, "post", False),
    ("Associated surgical service: Shoulder Brace", False, None, "post", True),
    ("Associated surgical service: Assistant surgeon", False, None, None, True),
    ("Associated surgical service: Pre-operative EKG", False, None, "pre", True),
    ("Physical therapy 12 visits", False, None, None, False),
    ("Physical therapy on the right", False, None, None, False),
]  # fmt: skip


@pytest.mark.parametrize(("text", "retro", "dos", "periop", "ass"), FLAGS)
def test_flags(text: str, retro: bool, dos: dt.date | None, periop: str | None, ass: bool) -> None:
    r = parse_request(text)
    assert (r.retrospective, r.date_of_service, r.perioperative) == (retro, dos, periop)
    assert r.associated_surgical_service is ass


def test_date_of_service_is_not_read_as_an_amount() -> None:
    r = parse_request("Retrospective E-stim (DOS 12/29/16)")
    assert (r.quantity, r.schedule) == (None, None)


def test_impossible_date_of_service_is_left_out() -> None:
    r = parse_request("Urine drug screen DOS 13/45/2016")
    assert r.retrospective and r.date_of_service is None


# -- input errors and shape ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_request_is_refused(text: str) -> None:
    with pytest.raises(RequestError, match="empty"):
        parse_request(text)


@pytest.mark.parametrize("text", ["#", "(((", "- / -", "::"])
def test_request_without_words_is_refused(text: str) -> None:
    with pytest.raises(RequestError):
        parse_request(text)


def test_non_text_is_refused() -> None:
    with pytest.raises(RequestError, match="text"):
        parse_request(12)  # type: ignore[arg-type]


def test_result_is_a_frozen_parsed_request() -> None:
    r = parse_request("PT 2x6 lumbar")
    assert isinstance(r, ParsedRequest)
    assert ParsedRequest.model_validate(r.model_dump()) == r


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "2x",
        "for for for",
        "Norco #",
        "12345678901234567890 visits",
        "the original request, is",
        "was the original request.",
        "L99-S9 injection",
        "DOS: 99/99/99",
        "%%%% 5% 6% cream",
    ],
)
def test_odd_input_does_not_raise(text: str) -> None:
    parse_request(text)


# -- any text ------------------------------------------------------------------------------

_WORDS = st.sampled_from(
    re.findall(
        r"\S+",
        "PT x # 2 6 (12) times a week for weeks visits sessions Norco 10/325mg 5% cream , . : "
        "left right L4-5 MRI DOS 1/2/16 original request was the is authorized by the Claims "
        "Administrator remaining portion Pre-op Post-op Associated surgical service: refill "
        "with one tab every 4-6 hours compound base - / ( ) twelve two to three",
    )
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=25).map(" ".join))
def test_request_like_text_never_raises(text: str) -> None:
    if not any(c.isalnum() for c in text):
        with pytest.raises(RequestError):
            parse_request(text)
        return
    r = parse_request(text)
    assert r.text == text
    if r.treatment is not None:
        assert r.category is not None


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=200).filter(lambda s: any(c.isalnum() for c in s)))
def test_any_text_never_raises(text: str) -> None:
    parse_request(text)


def test_a_modified_request_knows_what_was_authorized() -> None:
    p = parse_request(
        "PT/OT two to three times a week for six to eight weeks (24 sessions) left hand was the "
        "original request. PT/OT 6 sessions left hand was authorized by the Claims "
        "Administrator. The remaining IMR eligible portion of the original request, PT/OT 18 "
        "sessions left hand is"
    )
    assert (p.sessions, p.authorized_sessions, p.modified) == (18, 6, True)
    truncated = parse_request(
        "authorized by the Claims Administrator. The remaining IMR eligible portion of the "
        "original request, Chiropractic physiotherapy treatment 6 visits is"
    )
    assert (truncated.sessions, truncated.authorized_sessions, truncated.modified) == (
        6,
        None,
        True,
    )
    plain = parse_request("Physical therapy 2x6")
    assert plain.modified is False and plain.authorized_sessions is None
