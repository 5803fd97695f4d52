"""Ordinary clinical language, written for these tests from how visits and notes are phrased (not taken from any
benchmark's sentences): a paraphrase that says what the visit says raises no safety flag, and one that says the
opposite, or another number, raises one. A rule tuned to one benchmark's sentences shows up here when it breaks
plain English elsewhere."""

import pytest
from grounded import safety

from scribe.domain import Statement
from scribe.grounding.check import check_statement
from scribe.grounding.index import TranscriptIndex
from scribe.lexicon import default_lexicon
from scribe.transcript_io import parse_dialogue

SAYS_THE_SAME = [
    (
        "[doctor] Any history of high blood pressure or diabetes?\n[patient] No.",
        "CORONARY RISK FACTORS: No history of hypertension or diabetes mellitus.",
    ),
    (
        "[doctor] The risks include bleeding, infection and numbness.\n[patient] okay.",
        "Risks include bleeding, infection and numbness.",
    ),
    ("[doctor] Any fever?\n[patient] No, I haven't had any fever.", "Denies fever."),
    ("[doctor] Any chest pain?\n[patient] Nope.", "Denies chest pain."),
    ("[doctor] Any chest pain?\n[patient] Not really.", "He denies chest pain."),
    ("[doctor] Any chest pain?\n[patient] I don't think so.", "No chest pain."),
    ("[doctor] Any chest pain?\n[patient] Not that I know of.", "No chest pain."),
    ("[patient] I haven't noticed any swelling in my legs.", "No leg swelling."),
    (
        "[doctor] Any nausea or vomiting?\n[patient] A little nausea but no vomiting.",
        "Reports nausea but denies vomiting.",
    ),
    ("[doctor] Any nausea or vomiting?\n[patient] A little nausea but no vomiting.", "She endorses mild nausea."),
    ("[doctor] Heart is regular, no murmurs, rubs or gallops.", "No murmurs, rubs, or gallops."),
    ("[patient] The pain doesn't go anywhere, it stays right there.", "The pain does not radiate."),
    ("[patient] I used to smoke but I quit ten years ago.", "He is a former smoker who quit 10 years ago."),
    ("[patient] I had some chest pain last week but none today.", "He had chest pain last week but none today."),
    ("[patient] I've never had surgery.", "No prior surgeries."),
    (
        "[doctor] Any numbness or tingling?\n[patient] Yes, in my fingers.",
        "Endorses numbness and tingling in the fingers.",
    ),
    (
        "[doctor] Any shortness of breath?\n[patient] Yeah, when I climb stairs.",
        "Reports shortness of breath with stairs.",
    ),
    (
        "[doctor] Any fevers, chills?\n[patient] No.\n[doctor] Any cough?\n[patient] Yes, a dry cough.",
        "Positive for dry cough. Negative for fevers and chills.",
    ),
    ("[patient] I haven't had any more episodes since then.", "No further episodes since."),
    ("[doctor] Do you have any allergies to medications?\n[patient] No.", "No known drug allergies."),
    ("[patient] the headaches are gone now.", "Headaches have resolved."),
    ("[patient] I'm not having any pain right now.", "Currently pain free."),
    ("[doctor] Any blood in your stool?\n[patient] No, nothing like that.", "Denies blood in stool."),
    ("[patient] I've been feeling dizzy, but I haven't passed out.", "Reports dizziness without syncope."),
    ("[patient] I've been feeling dizzy, but I haven't passed out.", "She has been dizzy but has not passed out."),
    ("[doctor] Your abdomen is soft, nontender, no masses.", "Abdomen soft, non-tender, without masses."),
    ("[doctor] Lungs are clear to auscultation bilaterally, no wheezes.", "Lungs clear bilaterally without wheezing."),
    ("[patient] Tylenol helps a little but it doesn't go away.", "Tylenol provides partial relief."),
    (
        "[doctor] any weight loss?\n[patient] No, actually I've gained weight.",
        "Denies weight loss. Reports weight gain.",
    ),
    ("[patient] I don't have any trouble swallowing.", "Denies dysphagia."),
    ("[patient] My knee has been swollen, but not red or warm.", "Knee swelling without redness or warmth."),
    ("[patient] my back pain is better, the numbness is still there.", "Back pain improved; numbness persists."),
    ("[doctor] There's no swelling of the ankles.", "No ankle edema."),
    ("[patient] I haven't had a fever, just the cough.", "She has a cough but no fever."),
    ("[doctor] How's your breathing?\n[patient] It's fine, no problems.", "Denies shortness of breath."),
    ("[doctor] any problems with your bowels?\n[patient] no everything is normal", "Denies constipation or diarrhea."),
    ("[patient] I feel good, I have no complaints.", "No complaints today."),
    ("[patient] the swelling went down.", "Swelling has improved."),
    ("[patient] the swelling went down.", "Swelling has decreased."),
    ("[patient] I get short of breath when I walk up the stairs.", "Reports dyspnea on exertion."),
    ("[patient] I get winded going up stairs.", "She reports shortness of breath with exertion."),
    ("[patient] I've been really tired lately.", "Reports fatigue."),
    ("[patient] I've been throwing up since yesterday.", "Reports vomiting since yesterday."),
    ("[patient] I haven't thrown up.", "Denies vomiting."),
    ("[patient] I'm still having some pain but it's better.", "Pain has improved but persists."),
    ("[patient] it doesn't really hurt anymore.", "Pain has resolved."),
    ("[patient] it doesn't really hurt anymore.", "No longer has pain."),
    (
        "[doctor] on exam there is tenderness over the lateral malleolus but no swelling.",
        "Tenderness over the lateral malleolus. No swelling.",
    ),
    ("[doctor] I don't see any rash.", "No rash noted."),
    ("[doctor] I don't hear any murmurs.", "No murmurs appreciated."),
    ("[doctor] No lower extremity edema.", "No edema in the lower extremities."),
    ("[patient] I haven't had any chest pain or shortness of breath.", "She denies chest pain and dyspnea."),
    ("[patient] My blood sugars have been good.", "Blood sugars are well controlled."),
    (
        "[patient] I've been taking my medicine, no side effects.",
        "She is tolerating the medication without side effects.",
    ),
    ("[patient] no fevers but I've had chills.", "Reports chills. Denies fevers."),
    ("[doctor] Any headaches?\n[patient] Occasionally.", "Occasional headaches."),
    ("[doctor] Any headaches?\n[patient] Sometimes, yeah.", "Reports intermittent headaches."),
    ("[patient] I had a rash a few weeks ago but it's gone now.", "A prior rash has resolved."),
    ("[doctor] Your incision looks good, no redness, no drainage.", "Incision is clean, without erythema or drainage."),
    ("[doctor] Any bleeding?\n[patient] Just a little spotting.", "Reports light spotting."),
    ("[patient] I'm not sleeping well.", "Reports poor sleep."),
    ("[patient] my appetite is fine.", "Appetite is normal."),
    ("[patient] my appetite is fine.", "No change in appetite."),
    ("[patient] I've lost my appetite.", "Reports decreased appetite."),
    ("[doctor] Your lungs sound clear.", "Lungs are clear to auscultation."),
    ("[doctor] Your lungs sound clear.", "No wheezes, rales, or rhonchi."),
    ("[patient] I don't smoke and I don't drink.", "Denies tobacco and alcohol use."),
    ("[doctor] Any numbness?\n[patient] No, just the pain.", "Reports pain without numbness."),
    ("[patient] the pain is there all the time.", "The pain is constant."),
    ("[doctor] Is the pain worse with walking?\n[patient] Yes.", "The pain is worse with walking."),
    ("[patient] I can walk without any pain now.", "Able to walk pain free."),
    ("[patient] nothing makes it better.", "No alleviating factors."),
    ("[doctor] any vision changes?\n[patient] no my vision's fine", "Denies vision changes."),
    ("[patient] no swelling in my ankles anymore.", "Ankle swelling has resolved."),
]

SAYS_OTHERWISE = [
    ("[doctor] Any fever?\n[patient] No, I haven't had any fever.", "Reports fever."),
    ("[doctor] Any chest pain?\n[patient] Nope.", "Reports chest pain."),
    ("[doctor] Any nausea or vomiting?\n[patient] A little nausea but no vomiting.", "Reports vomiting."),
    ("[doctor] Any nausea or vomiting?\n[patient] A little nausea but no vomiting.", "Denies nausea."),
    ("[doctor] Any shortness of breath?\n[patient] Yeah, when I climb stairs.", "Denies shortness of breath."),
    ("[patient] I've been feeling dizzy, but I haven't passed out.", "Reports syncope."),
    ("[patient] I've been feeling dizzy, but I haven't passed out.", "Denies dizziness."),
    ("[patient] My knee has been swollen, but not red or warm.", "Knee is red and warm."),
    ("[patient] I haven't had a fever, just the cough.", "She has a fever."),
    ("[patient] I haven't had a fever, just the cough.", "Denies cough."),
    ("[doctor] Any cough?\n[patient] Yes, a dry cough.", "No cough."),
    ("[patient] I don't have any trouble swallowing.", "Reports trouble swallowing."),
    ("[patient] I've been throwing up since yesterday.", "Denies vomiting."),
    ("[patient] I haven't thrown up.", "Reports vomiting."),
    ("[doctor] I don't see any rash.", "Rash noted."),
    ("[doctor] I don't hear any murmurs.", "A murmur is heard."),
    ("[patient] no fevers but I've had chills.", "Reports fevers."),
    ("[patient] no fevers but I've had chills.", "Denies chills."),
    ("[doctor] Any numbness?\n[patient] No, just the pain.", "Reports numbness."),
    ("[doctor] Your incision looks good, no redness, no drainage.", "Drainage from the incision."),
    ("[doctor] Is the pain worse with walking?\n[patient] No.", "The pain is worse with walking."),
    ("[doctor] any vision changes?\n[patient] no my vision's fine", "Reports blurred vision."),
    ("[patient] I get short of breath when I walk up the stairs.", "Denies shortness of breath."),
    (
        "[doctor] on exam there is tenderness over the lateral malleolus but no swelling.",
        "Swelling over the lateral malleolus.",
    ),
    (
        "[doctor] on exam there is tenderness over the lateral malleolus but no swelling.",
        "No tenderness over the lateral malleolus.",
    ),
]

# hedged answers, denials of a degree or of a moment, what is over, idioms ("can't catch my breath")
HEDGES_THE_SAME = [
    ("[doctor] any nausea?\n[patient] not really, maybe a little bit in the morning.", "Reports mild morning nausea."),
    ("[doctor] any nausea?\n[patient] no. well, actually, a little yesterday.", "Reports some nausea yesterday."),
    ("[doctor] any swelling?\n[patient] kind of, in the evenings.", "Reports swelling in the evenings."),
    ("[doctor] any dizziness?\n[patient] I wouldn't say dizzy, more lightheaded.", "Reports lightheadedness."),
    ("[patient] I had a fever last week but it's gone now.", "She had a fever last week that has resolved."),
    ("[patient] I had a fever last week but it's gone now.", "She currently denies fever."),
    ("[patient] I don't have any pain at rest, only when I walk.", "Pain with walking, none at rest."),
    ("[patient] I don't have any pain at rest, only when I walk.", "She reports pain with ambulation."),
    ("[patient] the knee doesn't hurt, it's my back that hurts.", "Reports back pain. Denies knee pain."),
    ("[doctor] any chest pain?\n[patient] no chest pain, but my arm hurts.", "Reports arm pain. Denies chest pain."),
    ("[patient] I haven't been coughing as much.", "Cough has improved."),
    ("[patient] there's no blood when I cough anymore.", "Hemoptysis has resolved."),
    ("[patient] I can't sleep because of the pain.", "Pain interferes with sleep."),
    ("[patient] I can't sleep because of the pain.", "Reports insomnia due to pain."),
    ("[patient] I don't know if it's swollen.", "He is unsure whether there is swelling."),
    ("[doctor] it's not infected, it's healing well.", "No signs of infection."),
    ("[doctor] you don't have a fracture, it's a sprain.", "No fracture; ankle sprain."),
    ("[patient] the medicine isn't helping the pain.", "The pain has not improved with medication."),
    ("[patient] the medicine isn't helping the pain.", "She continues to have pain despite medication."),
    ("[patient] nothing helps the headache.", "Headache is unrelieved by anything."),
    ("[patient] I never had any problems with my heart.", "No history of cardiac problems."),
    ("[patient] I've been having headaches, no vision changes though.", "Headaches without vision changes."),
    ("[patient] I'm not short of breath right now.", "No shortness of breath at present."),
    ("[patient] I get short of breath sometimes, not right now.", "Intermittent shortness of breath."),
    ("[doctor] your ankle isn't swollen today.", "No ankle swelling on exam today."),
    ("[patient] not that much pain, maybe a two out of ten.", "Pain is 2/10."),
    ("[patient] I have no energy.", "Reports fatigue."),
    ("[patient] I have no appetite.", "Reports loss of appetite."),
    ("[patient] I can't catch my breath.", "Reports shortness of breath."),
    ("[patient] I can't stop coughing.", "Reports persistent cough."),
    ("[patient] it won't stop bleeding.", "Reports persistent bleeding."),
    ("[patient] I don't feel like eating.", "Reports decreased appetite."),
]

HEDGES_OTHERWISE = [
    ("[doctor] any swelling?\n[patient] kind of, in the evenings.", "Denies swelling."),
    ("[doctor] any chest pain?\n[patient] no chest pain, but my arm hurts.", "Reports chest pain."),
    ("[patient] I've been having headaches, no vision changes though.", "Reports vision changes."),
    ("[patient] I can't catch my breath.", "Denies shortness of breath."),
    ("[patient] I can't stop coughing.", "Denies cough."),
]

# a symptom in the patient's words and in the clinical term
SYMPTOM_NAMES_THE_SAME = [
    ("[doctor] the skin around it is red.", "Surrounding erythema."),
    ("[patient] my ankle is swollen.", "Ankle edema."),
    ("[patient] I have a bruise on my arm.", "Ecchymosis on the arm."),
    ("[patient] I get pins and needles in my feet.", "Paresthesias in the feet."),
    ("[patient] I've seen blood in my pee.", "Reports hematuria."),
    ("[patient] my nose is runny.", "Rhinorrhea."),
    ("[patient] my whole body aches.", "Myalgias."),
    ("[patient] I've been sweating a lot at night.", "Night sweats."),
    ("[patient] I've been sweating a lot at night.", "Reports diaphoresis at night."),
    ("[patient] I passed out yesterday.", "Syncopal episode yesterday."),
    ("[patient] my heart was racing.", "Reports palpitations."),
    ("[patient] I can't lie flat, I need three pillows.", "Three-pillow orthopnea."),
    ("[patient] I'm itchy all over.", "Generalized pruritus."),
    ("[patient] the room is spinning.", "Reports vertigo."),
    ("[patient] I've been throwing up blood.", "Hematemesis."),
    ("[patient] I feel weak on my left side.", "Left-sided weakness."),
    ("[patient] I fell down the stairs.", "Status post fall down stairs."),
    ("[patient] my stomach feels bloated.", "Abdominal bloating."),
    ("[patient] I have a lump in my breast.", "Breast mass."),
    ("[patient] I'm having a hard time breathing.", "Dyspnea."),
    ("[patient] I feel really tired all the time.", "Fatigue."),
    ("[patient] I feel really tired all the time.", "Malaise and fatigue."),
    ("[patient] I've been constipated.", "Constipation."),
    ("[patient] I've had loose stools.", "Diarrhea."),
    ("[patient] my joints are stiff in the morning.", "Morning stiffness."),
    ("[doctor] there's a little fluid in the knee.", "Small knee effusion."),
    ("[doctor] I hear some crackles at the bases.", "Bibasilar rales."),
    ("[doctor] I hear a little wheezing.", "Mild expiratory wheezes."),
    ("[patient] I feel anxious.", "Anxiety."),
    ("[patient] my vision is blurry.", "Blurred vision."),
    ("[patient] I have heartburn after meals.", "Postprandial reflux."),
    ("[patient] I have a headache.", "Cephalgia."),
    ("[patient] my legs cramp at night.", "Nocturnal leg cramps."),
    ("[patient] my hands shake.", "Tremor of the hands."),
    ("[patient] I feel confused sometimes.", "Intermittent confusion."),
]

# medicines by brand or generic, doses with and without their unit, sides, results
MEDICINES_THE_SAME = [
    ("[patient] I take Tylenol for the pain.", "She takes acetaminophen for pain."),
    ("[patient] I take Advil sometimes.", "Takes ibuprofen as needed."),
    ("[patient] I'm on Lipitor twenty milligrams.", "Atorvastatin 20 mg."),
    ("[patient] I'm on the baby aspirin.", "Aspirin 81 mg daily."),
    ("[patient] I take metformin five hundred twice a day.", "Metformin 500 mg BID."),
    ("[patient] I take metformin five hundred twice a day.", "Metformin 500 mg twice daily."),
    ("[doctor] let's go up on your lisinopril to forty milligrams.", "Increase lisinopril to 40 mg daily."),
    (
        "[doctor] I'm going to prescribe some prednisone, forty milligrams for five days.",
        "Prednisone 40 mg daily for 5 days.",
    ),
    (
        "[doctor] I'll prescribe amoxicillin, eight seventy five twice a day for ten days.",
        "Amoxicillin 875 mg BID x10 days.",
    ),
    ("[patient] I'm allergic to penicillin, I get hives.", "Allergies: penicillin (hives)."),
    ("[patient] I'm allergic to penicillin, I get hives.", "Allergic to PCN."),
    ("[patient] I'm allergic to sulfa drugs.", "Sulfa allergy."),
    ("[patient] no allergies that I know of.", "NKDA."),
    ("[patient] I use my albuterol inhaler maybe twice a week.", "Uses albuterol inhaler 2 times per week."),
    ("[patient] I take vitamin D.", "Vitamin D supplement."),
    ("[doctor] I'm going to start you on flexeril ten milligrams at night.", "Cyclobenzaprine 10 mg at bedtime."),
    ("[patient] I had my left knee replaced.", "Status post left total knee replacement."),
    ("[doctor] there's tenderness on the right side of the abdomen.", "Right-sided abdominal tenderness."),
    ("[doctor] let's get an x-ray of your left ankle.", "X-ray of the left ankle ordered."),
    ("[doctor] both legs have some swelling.", "Bilateral lower extremity edema."),
    ("[doctor] both legs have some swelling.", "Edema in both legs."),
    ("[patient] I get a shot of insulin, twenty units at night.", "Insulin 20 units at bedtime."),
    ("[patient] I take my blood pressure pill, the amlodipine.", "Takes amlodipine for hypertension."),
    ("[doctor] your potassium was a little low at three point two.", "Potassium 3.2 (low)."),
    ("[doctor] your hemoglobin a one c is eight.", "HbA1c 8%."),
    ("[doctor] your hemoglobin a one c is eight.", "Hemoglobin A1c of 8.0."),
    ("[doctor] we'll check a cbc and a cmp.", "Order CBC and CMP."),
    ("[patient] I take Zoloft fifty.", "Sertraline 50 mg."),
    ("[patient] I take a water pill, lasix.", "Furosemide."),
    ("[doctor] take Motrin six hundred every eight hours as needed.", "Ibuprofen 600 mg every 8 hours PRN."),
    ("[doctor] take Motrin six hundred every eight hours as needed.", "Motrin 600 mg q8h prn."),
]

MEDICINES_OTHERWISE = [
    ("[patient] I take Tylenol for the pain.", "She takes ibuprofen for pain."),
    ("[patient] I'm on Lipitor twenty milligrams.", "Atorvastatin 40 mg."),
    ("[doctor] let's go up on your lisinopril to forty milligrams.", "Increase lisinopril to 80 mg daily."),
    ("[patient] I'm allergic to penicillin, I get hives.", "Currently taking penicillin."),
    ("[patient] I had my left knee replaced.", "Status post right total knee replacement."),
    ("[doctor] there's tenderness on the right side of the abdomen.", "Left-sided abdominal tenderness."),
    ("[doctor] let's get an x-ray of your left ankle.", "X-ray of the right ankle ordered."),
    ("[patient] I get a shot of insulin, twenty units at night.", "Insulin 30 units at bedtime."),
    ("[doctor] your potassium was a little low at three point two.", "Potassium 2.3."),
    ("[patient] I take Zoloft fifty.", "Sertraline 100 mg."),
    ("[doctor] take Motrin six hundred every eight hours as needed.", "Ibuprofen 800 mg every 8 hours PRN."),
    ("[doctor] take Motrin six hundred every eight hours as needed.", "Ibuprofen 600 mg every 6 hours PRN."),
    (
        "[doctor] I'll prescribe amoxicillin, eight seventy five twice a day for ten days.",
        "Amoxicillin 875 mg BID x14 days.",
    ),
]

# the exam as said and as charted: sides, sizes, the findings' clinical names, the normal grade "2+"
EXAM_THE_SAME = [
    (
        "[doctor] on exam of your right knee, there's some swelling and it's tender on the inside.",
        "Right knee: effusion present, medial joint line tenderness.",
    ),
    (
        "[doctor] on exam of your right knee, there's some swelling and it's tender on the inside.",
        "Examination of the right knee reveals swelling and tenderness medially.",
    ),
    ("[doctor] your left ear drum looks red and bulging.", "Left tympanic membrane is erythematous and bulging."),
    ("[doctor] your throat is red, no white patches.", "Pharyngeal erythema without exudate."),
    ("[doctor] I can feel some lymph nodes in your neck.", "Cervical lymphadenopathy."),
    ("[doctor] your heart sounds normal.", "Regular rate and rhythm."),
    ("[doctor] your heart sounds normal.", "Heart: normal S1 and S2."),
    ("[doctor] your belly is soft and it doesn't hurt when I press.", "Abdomen: soft, non-tender."),
    ("[doctor] strength is five out of five in both arms.", "Strength 5/5 in bilateral upper extremities."),
    ("[doctor] you have full range of motion of your shoulder.", "Full range of motion of the shoulder."),
    ("[doctor] there's pain when I move your wrist up.", "Pain with wrist extension."),
    ("[doctor] your reflexes are normal.", "Reflexes 2+ and symmetric."),
    ("[doctor] your pulses are good in both feet.", "Dorsalis pedis pulses 2+ bilaterally."),
    ("[doctor] there's a small cut on your left hand, about two centimeters.", "A 2 cm laceration on the left hand."),
    ("[doctor] the x-ray shows no fracture.", "X-ray negative for fracture."),
    ("[doctor] the x-ray of your right wrist shows a small break.", "X-ray of the right wrist shows a fracture."),
    ("[doctor] you're a little wheezy on the left side.", "Expiratory wheezes in the left lung field."),
    ("[patient] my left eye has been itchy and watery.", "Left eye pruritus and tearing."),
    ("[patient] the pain is on the left side of my lower back.", "Left-sided low back pain."),
    ("[patient] both my hands get numb.", "Bilateral hand numbness."),
]

EXAM_OTHERWISE = [
    (
        "[doctor] on exam of your right knee, there's some swelling and it's tender on the inside.",
        "Left knee effusion.",
    ),
    ("[doctor] the x-ray shows no fracture.", "X-ray shows a fracture."),
    ("[doctor] there's a small cut on your left hand, about two centimeters.", "A 4 cm laceration on the left hand."),
    ("[doctor] there's a small cut on your left hand, about two centimeters.", "A 2 cm laceration on the right hand."),
    ("[patient] the pain is on the left side of my lower back.", "Right-sided low back pain."),
    ("[doctor] your heart sounds normal.", "A systolic murmur is heard."),
    ("[doctor] you're a little wheezy on the left side.", "Wheezes in the right lung field."),
    ("[doctor] your left ear drum looks red and bulging.", "Right tympanic membrane is erythematous."),
]

# measures, times of day, counts and the plan: what a note converts, and what it must not change
PLAN_AND_MEASURES_THE_SAME = [
    ("[patient] I've had it for about a decade.", "Present for 10 years."),
    ("[patient] I went from two hundred pounds to one eighty.", "Weight decreased from 200 to 180 lbs."),
    ("[patient] I have two kids.", "She has 2 children."),
    ("[patient] I wake up around three in the morning.", "Wakes at 3 AM."),
    ("[patient] I wake up around three in the morning.", "Wakes at 3:00 AM."),
    ("[patient] I wake up at like seven thirty at night.", "She wakes up at 7:30 PM."),
    ("[patient] I'm in my forties.", "In her 40s."),
    ("[patient] I had the surgery two weeks ago.", "Two weeks post-op."),
    ("[patient] I had the surgery two weeks ago.", "2 weeks status post surgery."),
    ("[patient] I drink three cups of coffee a day.", "Drinks 3 cups of coffee daily."),
    ("[patient] I've been pregnant twice and have two kids.", "G2P2."),
    ("[doctor] your temperature is one hundred point four.", "Temp 100.4 F."),
    ("[doctor] your oxygen is ninety five on room air.", "SpO2 95% on RA."),
    ("[doctor] your weight is one ninety two.", "Weight: 192 lbs."),
    ("[doctor] your bmi is thirty one point five.", "BMI 31.5."),
    ("[doctor] your cholesterol was two forty.", "Total cholesterol 240."),
    ("[doctor] your ldl was one sixty.", "LDL 160 mg/dL."),
    ("[doctor] your creatinine is one point two.", "Creatinine 1.2."),
    ("[patient] it happened on the fifteenth.", "On the 15th."),
    ("[patient] it's been going on since march.", "Since March."),
    ("[patient] it started yesterday.", "It started 1 day ago."),
    ("[patient] it started last week.", "It started 1 week ago."),
    ("[patient] I was in the hospital for three nights.", "Hospitalized for 3 days."),
    ("[patient] I walk a mile every day.", "Walks 1 mile daily."),
    ("[patient] I sleep maybe four or five hours.", "Sleeps 4-5 hours per night."),
    ("[patient] I sleep maybe four or five hours.", "Sleeps 4 to 5 hours nightly."),
    ("[doctor] the mole is about six millimeters.", "A 6 mm mole."),
    ("[doctor] the mole is about six millimeters.", "The mole is 0.6 cm."),
    ("[doctor] the cut is about an inch long.", "A 1-inch laceration."),
    ("[doctor] the cut is about an inch long.", "A 2.5 cm long cut."),
    ("[patient] I'm five foot six.", "Height 5'6\"."),
    ("[patient] I've been married for thirty years.", "Married for 30 years."),
    ("[patient] I quit smoking five years ago.", "Quit smoking 5 years ago."),
    ("[patient] I've had three episodes this week.", "Three episodes this week."),
    ("[patient] I've had three episodes this week.", "3 episodes in the past week."),
    ("[patient] I'm twenty weeks pregnant.", "20 weeks gestation."),
    ("[doctor] I want you to follow up with cardiology.", "Referral to cardiology."),
    ("[doctor] I'm going to send you to see a cardiologist.", "Cardiology referral placed."),
    ("[doctor] let's get an mri of your lower back.", "Order lumbar spine MRI."),
    ("[doctor] we'll get some blood work, a lipid panel and an a1c.", "Labs: lipid panel and hemoglobin A1c."),
    (
        "[doctor] I'd like you to do physical therapy twice a week for six weeks.",
        "Physical therapy 2 times per week for 6 weeks.",
    ),
    ("[doctor] ice it for twenty minutes a few times a day.", "Ice for 20 minutes several times daily."),
    (
        "[doctor] if the pain gets worse or you get a fever, call me or go to the ER.",
        "Return precautions given for worsening pain or fever.",
    ),
    ("[doctor] I'll see you back in three months.", "Follow up in 3 months."),
    ("[doctor] I'll see you back in three months.", "Return to clinic in 3 months."),
    ("[doctor] come back in two weeks and we'll recheck your blood pressure.", "Recheck blood pressure in 2 weeks."),
    ("[patient] I smoke about a pack a day.", "She smokes 1 pack per day."),
    ("[patient] I smoke about a pack a day, for like twenty years.", "20 pack-year smoking history."),
    ("[patient] I drink a glass of wine with dinner.", "Drinks 1 glass of wine nightly."),
    ("[patient] I work as a teacher.", "She is a teacher."),
    ("[patient] I live with my husband.", "Lives with her husband."),
    ("[doctor] you have high blood pressure that's not controlled.", "Uncontrolled hypertension."),
    ("[doctor] I think this is a sprain.", "Ankle sprain."),
    ("[doctor] this is most likely a viral infection.", "Likely viral upper respiratory infection."),
    ("[doctor] your diabetes is well controlled.", "Type 2 diabetes mellitus, well controlled."),
    ("[patient] I had my gallbladder out in 2015.", "Cholecystectomy in 2015."),
    ("[patient] my mom had breast cancer.", "Family history of breast cancer in her mother."),
    ("[patient] my dad has diabetes.", "Father with diabetes."),
    ("[doctor] we talked about diet and exercise.", "Counseled on diet and exercise."),
    ("[doctor] continue the lisinopril.\n[patient] okay", "Continue lisinopril."),
    ("[doctor] stop taking the ibuprofen.", "Discontinue ibuprofen."),
    ("[doctor] you can take tylenol as needed for pain.", "Acetaminophen as needed for pain."),
    ("[patient] I've had asthma since I was a kid.", "History of childhood asthma."),
    (
        "[patient] I'm seventy two.\n[patient] I've had high blood pressure for years.",
        "72-year-old with a long history of hypertension.",
    ),
]

PLAN_AND_MEASURES_OTHERWISE = [
    ("[patient] I went from two hundred pounds to one eighty.", "Weight decreased from 200 to 170 lbs."),
    ("[patient] I have two kids.", "She has 3 children."),
    ("[doctor] your temperature is one hundred point four.", "Temp 101.4 F."),
    ("[doctor] your ldl was one sixty.", "LDL 190 mg/dL."),
    ("[patient] I sleep maybe four or five hours.", "Sleeps 7-8 hours per night."),
    ("[doctor] the mole is about six millimeters.", "A 9 mm mole."),
    ("[patient] I quit smoking five years ago.", "Quit smoking 15 years ago."),
    ("[patient] I'm twenty weeks pregnant.", "28 weeks gestation."),
    ("[doctor] the mole is about six millimeters.", "The mole is 1 cm."),
    ("[patient] it started yesterday.", "It started 3 days ago."),
    ("[patient] I've had it for about a decade.", "Present for 20 years."),
    ("[doctor] the cut is about an inch long.", "A 4 cm long cut."),
    ("[doctor] I'll see you back in three months.", "Follow up in 6 months."),
    ("[patient] I smoke about a pack a day.", "She smokes 2 packs per day."),
    ("[patient] I'm allergic to codeine, it makes me throw up.", "Allergy: penicillin."),
    ("[patient] I'm allergic to codeine, it makes me throw up.", "Currently taking codeine."),
    ("[patient] my mom had breast cancer.", "History of breast cancer."),
    ("[doctor] continue the lisinopril.\n[patient] okay", "Continue metoprolol."),
    ("[doctor] stop taking the ibuprofen.", "Continue naproxen."),
    (
        "[doctor] I'd like you to do physical therapy twice a week for six weeks.",
        "Physical therapy 3 times per week for 6 weeks.",
    ),
]

# numbers said one way and charted another: the same value in digits, another unit or the chart's notation
SAME_NUMBER = [
    ("[patient] I take it twice a day.", "She takes it 2 times daily."),
    ("[patient] I take it twice a day.", "She takes it BID."),
    ("[patient] about a week and a half ago.", "Symptoms began 1.5 weeks ago."),
    ("[patient] about a week and a half ago.", "Symptoms began 10 days ago."),
    ("[patient] it started two weeks ago.", "Symptoms began 14 days ago."),
    ("[patient] it started a month ago.", "Symptoms began 1 month ago."),
    ("[patient] it started a couple of months ago.", "Symptoms began 2 months ago."),
    ("[patient] I'm forty five.", "45-year-old male."),
    ("[doctor] your a1c was seven point two.", "Hemoglobin A1c was 7.2%."),
    ("[doctor] your a1c was seven point two.", "Hemoglobin A1c was 7.2."),
    ("[patient] I smoke half a pack a day.", "He smokes 0.5 packs per day."),
    ("[patient] I smoke half a pack a day.", "He smokes 1/2 pack per day."),
    ("[patient] one and a half tablets.", "She takes 1.5 tablets."),
    ("[doctor] blood pressure is one twenty over eighty.", "Blood pressure 120/80 mmHg."),
    ("[doctor] blood pressure is a hundred and twenty over eighty.", "BP 120/80."),
    ("[doctor] come back in three to four weeks.", "Follow up in 3-4 weeks."),
    ("[doctor] come back in three to four weeks.", "Follow up in 3 to 4 weeks."),
    ("[patient] it happened in twenty nineteen.", "Diagnosed in 2019."),
    ("[patient] it happened in two thousand nineteen.", "Diagnosed in 2019."),
    ("[patient] about six months ago.", "6 months ago."),
    ("[doctor] heart rate is seventy two.", "HR 72 bpm."),
    ("[doctor] your oxygen is ninety eight percent.", "SpO2 98%."),
    ("[doctor] temperature ninety eight point six.", "Temperature 98.6 F."),
    ("[patient] I drink like two or three beers a night.", "He drinks 2-3 beers nightly."),
    ("[patient] I drink like two or three beers a night.", "He drinks 2 to 3 beers per night."),
    ("[patient] I walk thirty minutes.", "She walks for 30 minutes."),
    ("[patient] I walk for half an hour.", "She walks for 30 minutes."),
    ("[patient] about an hour.", "It lasts 1 hour."),
    ("[patient] I lost like ten pounds.", "She has lost 10 lbs."),
    ("[patient] I lost like ten pounds.", "She has lost 10 pounds."),
    ("[doctor] take it once a day.", "Take once daily."),
    ("[doctor] take it once a day.", "Take daily."),
    ("[doctor] five milligrams", "5mg."),
    ("[patient] I've had it for like three or four years.", "Present for 3-4 years."),
    ("[patient] it's been going on since last year.", "Since last year."),
    ("[patient] I had two kids.", "She is G2P2."),
    ("[patient] I'm sixty.", "60-year-old female."),
    ("[patient] I'm sixty years old.", "A 60 yo female."),
    ("[doctor] so it's a level three.", "Level 3."),
    ("[doctor] take a thousand milligrams.", "Take 1000 mg."),
    ("[doctor] take a thousand milligrams.", "Take 1,000 mg."),
    ("[doctor] take a thousand milligrams.", "Take 1 g."),
    ("[doctor] point five milligrams", "0.5 mg."),
    ("[doctor] the third finger", "The 3rd finger."),
    ("[doctor] the fifth metatarsal", "The 5th metatarsal."),
    ("[doctor] the first time", "The first episode."),
    ("[doctor] twenty four hours", "24 hours."),
    ("[patient] eight to ten hours", "8-10 hours."),
    ("[doctor] I'll see you in six weeks", "Follow up in 6 weeks."),
    ("[doctor] I'll see you in a couple weeks", "Follow up in 2 weeks."),
    ("[doctor] two puffs", "2 puffs."),
    ("[doctor] ten to fifteen pounds", "10-15 lbs."),
    ("[doctor] thirty milligrams once a week", "30 mg weekly."),
    ("[patient] twice", "Two episodes."),
    ("[doctor] seventy two", "72."),
    ("[patient] I got it at the age of twelve", "Since age 12."),
]


def _flags(visit: str, statement: str) -> list[str]:
    index = TranscriptIndex(parse_dialogue(visit, source="t"), default_lexicon())
    return safety(check_statement(Statement(text=statement), index))


# weights in pounds and kilograms, spinal levels
WEIGHTS_AND_LEVELS_THE_SAME = [
    ("[doctor] you've lost about ten pounds since your last visit.", "She has lost about 4.5 kg since her last visit."),
    ("[doctor] you weigh eighty kilos.", "He weighs 176 lbs."),
    ("[doctor] the mri shows some disc degeneration at c5-6.", "MRI shows disc degeneration at C5-6."),
    ("[doctor] there's a disc bulge at l four five.", "Disc bulge at L4-5."),
    ("[doctor] there's a disc bulge at l4-l5.", "Disc bulge at L4-L5."),
]

WEIGHTS_OTHERWISE = [
    ("[doctor] you've lost about ten pounds since your last visit.", "She has lost about 10 kg since her last visit."),
    ("[doctor] you weigh eighty kilos.", "He weighs 80 lbs."),
]

# a denial at another place than the finding: the other side, aspect, level or surface
PLACES_THE_SAME = [
    (
        "[doctor] there's tenderness over the medial joint line of your right knee.",
        "No tenderness over the lateral joint line of the right knee.",
    ),
    ("[doctor] you're tender over the posterior aspect of the heel.", "No tenderness of the anterior ankle."),
    ("[doctor] there's some pain in your upper back.", "Denies lower back pain."),
    ("[doctor] there's tenderness over the distal radius.", "No tenderness over the proximal forearm."),
    ("[doctor] there's swelling on the dorsal aspect of the hand.", "No swelling on the palmar surface."),
    ("[doctor] there's tenderness on the left side of your neck.", "No tenderness on the right side of the neck."),
]

PLACES_OTHERWISE = [
    (
        "[doctor] there's tenderness over the medial joint line of your right knee.",
        "No tenderness over the medial joint line of the right knee.",
    ),
    ("[doctor] you're tender over the posterior aspect of the heel.", "No tenderness over the posterior heel."),
    ("[doctor] there's swelling on the dorsal aspect of the hand.", "No swelling on the dorsum of the hand."),
]

# how often and how much: frequencies, ranges, vitals, results, sizes
FREQUENCIES_THE_SAME = [
    ("[patient] I go to the gym three times a week.", "She goes to the gym 3 days per week."),
    ("[patient] I go to the gym three days a week.", "She exercises 3 times weekly."),
    ("[patient] I've had it once or twice.", "1-2 episodes."),
    ("[patient] I've had it once or twice.", "One to two episodes."),
    ("[patient] it's about fifty percent better.", "Symptoms have improved by 50%."),
    ("[patient] it's about fifty percent better.", "50% improvement."),
    ("[patient] I was diagnosed in january of twenty twenty.", "Diagnosed in January 2020."),
    ("[patient] I get up to pee two or three times a night.", "Nocturia 2-3 times per night."),
    ("[patient] I've had two or three of these headaches a week.", "2-3 headaches per week."),
    ("[patient] my sugars run about one fifty.", "Blood glucose around 150."),
    ("[patient] my sugars run between a hundred and one fifty.", "Blood sugars 100-150."),
    ("[patient] I've been doing this for about six months.", "For approximately 6 months."),
    ("[patient] about three or four months ago.", "3-4 months ago."),
    ("[patient] I was in the ER two days ago.", "ED visit 2 days ago."),
    ("[doctor] your blood pressure today is one thirty two over eighty four.", "BP 132/84."),
    ("[doctor] your pulse is sixty.", "Pulse 60."),
    ("[doctor] you're breathing sixteen times a minute.", "Respiratory rate 16."),
    ("[doctor] your ejection fraction is thirty five percent.", "EF 35%."),
    ("[doctor] your ejection fraction is thirty five percent.", "Ejection fraction of 35 percent."),
    ("[doctor] your ejection fraction is about thirty five to forty percent.", "EF 35-40%."),
    ("[patient] I stopped it about three weeks ago.", "Discontinued 3 weeks ago."),
    ("[patient] I had my last period two weeks ago.", "LMP 2 weeks ago."),
    ("[patient] I've had diabetes for about fifteen years.", "15-year history of diabetes."),
    ("[patient] I've had diabetes for about fifteen years.", "Diabetes for 15 years."),
    ("[patient] I'm on day three of the antibiotic.", "Day 3 of antibiotics."),
    ("[patient] I've been on it since I was twenty.", "On it since age 20."),
    ("[doctor] the wound is three by two centimeters.", "Wound measures 3 x 2 cm."),
    ("[doctor] the wound is three by two centimeters.", "A 3 cm x 2 cm wound."),
]

FREQUENCIES_OTHERWISE = [
    ("[patient] I go to the gym three times a week.", "She goes to the gym 5 days per week."),
    ("[patient] I've had two or three of these headaches a week.", "4-5 headaches per week."),
    ("[doctor] your ejection fraction is thirty five percent.", "EF 55%."),
    ("[patient] I've had diabetes for about fifteen years.", "Diabetes for 5 years."),
    ("[doctor] the wound is three by two centimeters.", "Wound measures 3 x 4 cm."),
]

# test results as said and as charted; a test only ordered has none
RESULTS_THE_SAME = [
    ("[doctor] I looked at your x-ray and there's no fracture.", "X-ray negative for fracture."),
    ("[doctor] your x-ray didn't show anything broken.", "X-ray of the wrist was negative."),
    ("[doctor] your labs from last week were all normal.", "Labs from last week were within normal limits."),
    (
        "[doctor] your blood work was fine except your cholesterol was a little high.",
        "Lab work notable for mildly elevated cholesterol.",
    ),
    ("[doctor] the mri showed a tear in your meniscus.", "MRI revealed a meniscal tear."),
    ("[doctor] so the echo showed your heart is pumping okay.", "Echocardiogram showed normal ejection fraction."),
    ("[doctor] the ultrasound of your gallbladder had some stones.", "Ultrasound showed gallstones."),
    ("[doctor] I reviewed the results of your ekg, it's normal.", "EKG: normal sinus rhythm."),
    ("[doctor] your a1c came back at seven.", "A1c was 7."),
    ("[doctor] we did a urine test and it showed an infection.", "Urinalysis positive for infection."),
    ("[doctor] the ct scan of your head was negative.", "Head CT unremarkable."),
    ("[doctor] the biopsy came back benign.", "Biopsy results were benign."),
    ("[doctor] your chest x-ray is clear.", "Chest x-ray clear."),
    ("[doctor] the x-ray shows some arthritis in your knee.", "X-ray of the knee demonstrates degenerative changes."),
    ("[doctor] we did a strep test in the office and it was negative.", "Rapid strep negative."),
]

RESULTS_OTHERWISE = [
    ("[doctor] I'm going to order an x-ray of your wrist.", "X-ray of the wrist was negative."),
    ("[doctor] let's get an mri.", "MRI showed a meniscal tear."),
    ("[doctor] we'll check an a1c today.", "A1c results were normal."),
]

# then and now: a denial of today beside what was had before, what went away
THEN_AND_NOW_THE_SAME = [
    ("[patient] I had a fever a few days ago.\n[doctor] any fever now?\n[patient] no.", "Denies fever."),
    ("[patient] I had some chest pain two years ago, they said it was my gallbladder.", "Denies chest pain."),
    ("[patient] I used to get headaches but not anymore.", "Denies headaches."),
    ("[patient] the swelling went away after a couple of days.", "No swelling."),
    ("[patient] the swelling went away after a couple of days.", "The swelling has resolved."),
    ("[doctor] any nausea with the pain?\n[patient] at first yes but not anymore.", "Denies current nausea."),
    ("[patient] I was vomiting last night but I'm okay now.", "Vomiting last night, resolved."),
    ("[doctor] negative lachman test, there's no laxity.", "Negative Lachman test."),
    (
        "[doctor] there's no swelling in the knee today.\n[patient] it was swollen last week.",
        "No knee swelling on exam.",
    ),
    (
        "[patient] my knee was swollen last week.\n[doctor] on exam, no swelling of the knee.",
        "She reports knee swelling last week.",
    ),
    ("[doctor] you had pneumonia last year and the cough cleared up.", "History of pneumonia, cough resolved."),
    ("[doctor] you had pneumonia last year and the cough cleared up.", "Denies cough."),
    ("[patient] the rash is getting better.", "The rash is improving."),
    ("[doctor] the rash looks better, it's almost gone.", "Rash is nearly resolved."),
]

THEN_AND_NOW_OTHERWISE = [
    ("[patient] I've had a fever since yesterday.", "Denies fever."),
    ("[patient] I have chest pain right now.", "Denies chest pain."),
    ("[doctor] on exam there is swelling of the knee.", "No knee swelling."),
]

# questions put as denials and answered, idioms with a negator that deny nothing, two negatives
IDIOMS_THE_SAME = [
    ("[doctor] any swelling?\n[patient] I don't know, maybe a little.", "Reports mild swelling."),
    ("[patient] I don't know if it's the swelling or the pain that bothers me more.", "Reports swelling and pain."),
    ("[patient] I'm not sure, I think there's some swelling.", "Possible swelling."),
    ("[patient] I can't remember if I had a fever.", "Unsure whether she had a fever."),
    ("[doctor] no fever?\n[patient] right, no fever.", "Denies fever."),
    ("[doctor] no fever?\n[patient] no.", "Denies fever."),
    ("[doctor] you don't have any chest pain, right?\n[patient] no, none.", "Denies chest pain."),
    ("[doctor] you don't have any chest pain, right?\n[patient] actually I do, a little.", "Reports mild chest pain."),
    ("[patient] I wouldn't call it pain, it's more of an ache.", "Describes an aching sensation."),
    ("[patient] not only do I have a cough, I also have a fever.", "Reports cough and fever."),
    ("[patient] it's not just the knee, my hip hurts too.", "Reports knee and hip pain."),
    ("[patient] there's no way I could walk without pain.", "Pain with walking."),
    ("[patient] I never leave the house without my inhaler because of the wheezing.", "Reports wheezing."),
    ("[doctor] it's no surprise you have swelling after surgery.", "Postoperative swelling."),
    ("[patient] nobody else at home has a cough, just me.", "Reports cough."),
]

IDIOMS_OTHERWISE = [
    ("[doctor] you don't have any chest pain, right?\n[patient] no, none.", "Reports chest pain."),
    ("[doctor] no fever?\n[patient] right, no fever.", "Reports fever."),
]

# the ways a visit denies, each against a note that reports what was denied
DENIALS_MADE_PRESENT = [
    # MTS-Dialog dev MTS0728: a chart heading of risk factors lists what the patient has, no list of what may happen
    (
        "[doctor] Any history of high blood pressure or diabetes?\n[patient] No.",
        "CORONARY RISK FACTORS: A history of hypertension or diabetes mellitus.",
    ),
    ("[doctor] any fever?\n[patient] nah.", "Reports fever."),
    ("[doctor] any fever?\n[patient] not that I've noticed.", "Reports fever."),
    ("[doctor] any fever?\n[patient] I haven't checked, but I don't think so.", "Reports fever."),
    ("[doctor] any fever?\n[patient] no fevers, no chills, nothing like that.", "Reports chills."),
    ("[doctor] any fever or chills?\n[patient] neither.", "Reports chills."),
    ("[doctor] any fever or chills?\n[patient] none of those.", "Reports fever."),
    ("[doctor] have you been having any nausea?\n[patient] uh, no, not at all.", "Reports nausea."),
    ("[doctor] have you been having any nausea?\n[patient] absolutely not.", "Reports nausea."),
    ("[doctor] have you been having any nausea?\n[patient] I have not.", "Reports nausea."),
    ("[doctor] have you been having any nausea?\n[patient] never.", "Reports nausea."),
    (
        "[doctor] did you have any numbness or tingling in your fingers?\n[patient] no, nothing.",
        "Reports numbness in the fingers.",
    ),
    (
        "[doctor] any chest pain or shortness of breath with that?\n[patient] no, just the cough.",
        "Reports shortness of breath.",
    ),
    ("[patient] I've been fine, no headaches or anything.", "Reports headaches."),
    ("[patient] I haven't had any problems with diarrhea.", "Reports diarrhea."),
    ("[patient] there hasn't been any blood in my stool.", "Reports blood in stool."),
    ("[doctor] so no chest pain, no shortness of breath.\n[patient] right.", "Reports chest pain."),
    ("[doctor] so you haven't had any fevers.\n[patient] correct.", "Reports fevers."),
    ("[doctor] you deny any chest pain?\n[patient] yes.", "Reports chest pain."),
    ("[doctor] okay and no swelling in your legs?\n[patient] no.", "Reports leg swelling."),
    ("[doctor] okay and no swelling in your legs?\n[patient] nope, none.", "Reports leg swelling."),
    ("[doctor] on exam your abdomen is non-tender.", "Abdominal tenderness."),
    ("[doctor] your abdomen is soft, not tender, not distended.", "Abdomen is distended."),
    ("[doctor] no murmurs, rubs, or gallops.", "A murmur is present."),
    ("[doctor] negative for edema.", "Edema present."),
    ("[doctor] there is no evidence of infection.", "Signs of infection."),
    ("[doctor] the wound shows no signs of redness or drainage.", "Drainage from the wound."),
    ("[patient] I don't get short of breath.", "Reports shortness of breath."),
    ("[patient] I don't really have much of an appetite but no nausea.", "Reports nausea."),
    ("[doctor] any dizziness when you stand up?\n[patient] not really.", "Reports dizziness."),
    ("[doctor] any vomiting?\n[patient] no i haven't thrown up", "Reports vomiting."),
    ("[doctor] and the swelling?\n[patient] that's gone.", "Reports swelling."),
    ("[doctor] any rashes?\n[patient] no rashes.", "Reports a rash."),
    ("[doctor] are you having any pain right now?\n[patient] no.", "Reports pain."),
]

# things counted: children, miles, flights, cups, cigarettes, pillows, beers
COUNTS_THE_SAME = [
    ("[doctor] do you have kids?\n[patient] I do. I have five.", "She has 5 children."),
    ("[patient] I walk about two miles a day.", "Walks 2 miles daily."),
    ("[patient] I get winded after one flight of stairs.", "Dyspnea after 1 flight of stairs."),
    ("[patient] I drink two cups of coffee.", "Drinks 2 cups of coffee daily."),
    ("[patient] I smoke about ten cigarettes a day.", "Smokes 10 cigarettes per day."),
    ("[patient] I sleep on three pillows.", "Three-pillow orthopnea."),
    ("[patient] I have like four or five beers on the weekend.", "Drinks 4-5 beers on weekends."),
]

# what has stopped or was ruled out
STOPPED_THE_SAME = [
    ("[doctor] the x-ray ruled out a fracture.", "No fracture."),
    ("[doctor] we ruled out a blood clot with the ultrasound.", "Ultrasound negative for DVT; no clot."),
    ("[patient] the bleeding stopped after a few minutes.", "No active bleeding."),
    ("[patient] the bleeding stopped after a few minutes.", "Bleeding has stopped."),
    ("[patient] the diarrhea has stopped.", "Denies diarrhea."),
    ("[patient] I'm free of pain now.", "Currently pain free."),
    ("[patient] I haven't had a seizure since March.", "No seizures since March."),
    ("[patient] the headaches are much less frequent.", "Headaches have decreased in frequency."),
    ("[patient] I rarely get headaches now.", "Headaches are rare now."),
    ("[doctor] your lungs are clear, I don't hear any wheezing today.", "No wheezing on exam today."),
    ("[patient] my cough is almost gone.", "Cough is nearly resolved."),
    ("[patient] the rash has cleared.", "The rash has cleared."),
    ("[patient] the rash has cleared.", "No rash."),
]

STOPPED_OTHERWISE = [
    ("[doctor] the x-ray ruled out a fracture.", "X-ray shows a fracture."),
    ("[patient] the bleeding hasn't stopped.", "Denies bleeding."),
    ("[patient] I've been having seizures every week.", "No seizures."),
]

# a transcript as speech recognition writes it: no capitals, no question marks, contractions split, an exam said in one
# breath
AS_TRANSCRIBED_THE_SAME = [
    ("[doctor] any fever or chills\n[patient] no i have n't had any fever", "Denies fever."),
    ("[patient] i do n't have any swelling in my ankles", "No ankle swelling."),
    ("[patient] i 've been having this pain in my right knee for about two weeks", "Right knee pain for 2 weeks."),
    (
        "[doctor] on your knee exam you do have some pain to palpation of the medial aspect of the right knee there is"
        " no pain to palpation of the lateral aspect",
        "No pain to palpation of the lateral aspect of the right knee.",
    ),
    (
        "[doctor] on your knee exam you do have some pain to palpation of the medial aspect of the right knee there is"
        " no pain to palpation of the lateral aspect",
        "Pain to palpation of the medial aspect of the right knee.",
    ),
    ("[doctor] does the pain radiate anywhere\n[patient] no it stays in my lower back", "The pain does not radiate."),
    (
        "[doctor] does the pain radiate anywhere\n[patient] yeah it goes down my left leg",
        "Pain radiates down the left leg.",
    ),
    (
        "[doctor] so does that pain radiate anywhere or where would you say it is\n[patient] it stays right at the"
        " shoulder it does n't go down anywhere",
        "The shoulder pain does not radiate.",
    ),
    ("[patient] i 've lost about ten pounds in the last month", "10 lb weight loss over the past month."),
    ("[doctor] have you lost any weight\n[patient] no unfortunately i 've gained some", "Denies weight loss."),
    ("[patient] i had a temperature of a hundred and one", "Fever to 101."),
    ("[doctor] i 'll see you in a week or two", "Follow up in 1-2 weeks."),
    ("[patient] my knee has been hurting for the past week and a half", "Knee pain for the past 10 days."),
    ("[doctor] your white count was twelve thousand", "WBC 12K."),
    ("[doctor] take one to two tablets every four to six hours", "1-2 tablets q4-6h."),
    ("[doctor] five hundred milligrams three times a day", "500 mg TID."),
    ("[patient] i take metformin twice a day", "Metformin BID."),
    ("[patient] i take the metformin one in the morning and one at night", "Metformin b.i.d."),
    # what a question names as its subject it takes as given: "no" answers the rest
    ("[doctor] does the pain radiate anywhere\n[patient] no", "He has pain."),
    ("[doctor] and does the swelling get worse at night\n[patient] no it 's about the same", "Reports swelling."),
    ("[doctor] does the cough bring anything up\n[patient] no it 's dry", "Nonproductive cough."),
    ("[doctor] did the rash spread anywhere else\n[patient] no just on my arm", "Rash on the arm."),
    ("[doctor] does it hurt when you walk\n[patient] no not really", "No pain with walking."),
    ("[doctor] does your knee hurt\n[patient] no", "Denies knee pain."),
    ("[doctor] is the pain gone now\n[patient] yes", "No pain now."),
    # how often a day, where the visit says it and where it does not (the medication list's)
    ("[patient] i take metformin five hundred", "Metformin 500 mg BID."),
    (
        "[patient] i take my metformin five hundred in the morning and five hundred in the evening",
        "Metformin 500 mg BID.",
    ),
    ("[patient] i 've had it for a day or two", "Symptoms for 1-2 days."),
    ("[patient] it happens two to three times a day", "Episodes occur 2-3 times per day."),
]

AS_TRANSCRIBED_OTHERWISE = [
    ("[doctor] any fever or chills\n[patient] no i have n't had any fever", "Reports fever."),
    (
        "[doctor] on your knee exam you do have some pain to palpation of the medial aspect of the right knee there is"
        " no pain to palpation of the lateral aspect",
        "Pain to palpation of the lateral aspect of the right knee.",
    ),
    (
        "[doctor] does the pain radiate anywhere\n[patient] no it stays in my lower back",
        "The pain radiates down the leg.",
    ),
    ("[doctor] have you lost any weight\n[patient] no unfortunately i 've gained some", "Reports weight loss."),
    ("[doctor] take one to two tablets every four to six hours", "1-2 tablets q8h."),
    ("[doctor] five hundred milligrams three times a day", "500 mg BID."),
    ("[patient] i take metformin twice a day", "Metformin TID."),
    ("[doctor] your white count was twelve thousand", "WBC 21K."),
    ("[doctor] does it hurt when you walk\n[patient] no not really", "Pain with walking."),
    ("[doctor] does your knee hurt\n[patient] no", "Knee pain."),
    ("[doctor] does the pain radiate anywhere\n[patient] no", "Pain radiates to the arm."),
    ("[patient] i take my metformin five hundred twice a day", "Metformin 500 mg TID."),
    ("[patient] i 've had it for a day or two", "Symptoms for 4 days."),
]

# short answers that take up the question's verb or give a degree: "does it hurt when you walk?" - "it does"
_WALK = "[doctor] okay and does it hurt when you walk\n[patient] "
SHORT_ANSWERS_SAY_YES = [
    (_WALK + answer, "No pain with walking.")
    for answer in ("it does", "it does yeah", "uh-huh", "a little bit", "it really does", "i mean it does", "a lot")
] + [("[doctor] does the knee swell up after you run\n[patient] it does", "No knee swelling.")]
SHORT_ANSWERS_SAY_NO = [
    (_WALK + answer, "Pain with walking.") for answer in ("it does n't", "no it does n't", "not really")
]
SHORT_ANSWERS_AGREE = [(_WALK + answer, "Pain with walking.") for answer in ("it does", "a little bit", "all the time")]
_HURT = "[doctor] does that hurt\n[patient] "
SHORT_ANSWERS_SAY_YES += [
    (_HURT + answer, "No pain.")
    for answer in ("ouch", "i think so", "probably", "sure does", "that 's right", "on and off", "once in a while")
]
SHORT_ANSWERS_SAY_NO += [(_HURT + answer, "Pain.") for answer in ("i do n't think so", "not that i know of")]
# "do the stretches", "do your exercises": an instruction, not a question
SHORT_ANSWERS_AGREE += [
    ("[doctor] so do the stretches twice a day for the knee pain", "Knee pain."),
    ("[doctor] and do this exercise for your back pain every morning", "Back pain."),
]

# pain at a time of day or at rest is a finding of its own: "no night pain" does not deny the knee pain
_KNEE_WEEKS = "[patient] my knee has been hurting for a few weeks"
WHEN_THE_SAME = [
    (
        _KNEE_WEEKS + "\n[doctor] okay does it hurt at night\n[patient] no",
        "Knee pain for several weeks, no night pain.",
    ),
    (_KNEE_WEEKS + "\n[doctor] okay does it hurt at night\n[patient] no", "Knee pain without nocturnal pain."),
    (_KNEE_WEEKS + " but not at night", "Knee pain for several weeks, no night pain."),
    ("[patient] my knee hurts when i walk but there 's no pain at rest", "Knee pain with walking, no pain at rest."),
    ("[patient] my hands are stiff in the morning", "Reports morning stiffness."),
]
WHEN_OTHERWISE = [
    ("[patient] my knee hurts at night and keeps me up", "No night pain."),
    ("[patient] my knee hurts at night and keeps me up", "Denies nocturnal pain."),
]

# a finding put on one part of the body (in the sentence or in its header) is not contradicted by what the visit says
# of it on another part
_KNEE_EXAM = (
    "[doctor] on exam of your right knee there is tenderness over the medial joint line\n[doctor] your abdomen is soft"
)
_ANKLE = "[doctor] you have some swelling in your right ankle"
ON_ANOTHER_PART_THE_SAME = [
    (_KNEE_EXAM, "Abdomen: Soft, no tenderness."),
    (_KNEE_EXAM, "Examination of the abdomen: No masses or tenderness."),
    (_KNEE_EXAM, "ABDOMEN: Soft. Nontender."),
    (_ANKLE + "\n[doctor] your calves are soft", "Calves: soft, no swelling."),
    (_ANKLE + "\n[doctor] your knee looks fine", "Right knee: No swelling."),
    ("[doctor] your neck is tender on the right side\n[doctor] your back is fine", "Back: No tenderness to palpation."),
    ("[patient] i have a rash on my arm\n[doctor] your face looks clear", "Face: No rash."),
    ("[doctor] your lungs are clear\n[doctor] you do have a little swelling in your feet", "Lungs: clear, no edema."),
    ("[doctor] your lower extremities have no edema", "No edema in the legs."),
]
ON_THE_SAME_PART_OTHERWISE = [
    (_KNEE_EXAM, "Right knee: No tenderness."),
    (_KNEE_EXAM, "Right knee: no tenderness over the medial joint line."),
    (_ANKLE, "Right ankle: no swelling."),
    ("[doctor] your abdomen is tender in the right lower quadrant", "Abdomen: Nontender."),
    ("[doctor] your lower extremities have no edema", "Edema in the legs."),
    ("[doctor] no weakness or numbness in your legs right now", "Neurological: Reports lower extremity weakness."),
    (_ANKLE, "Extremities: No leg swelling."),
    ("[doctor] i don't see any swelling in your ankles", "Lower extremities: swelling."),
]

# numbers as they are spoken: decimals digit by digit, a range of values by its hundreds or tens
SPOKEN_NUMBERS_THE_SAME = [
    ("[doctor] your psa was point six six", "PSA 0.66."),
    ("[doctor] your psa was zero point six six", "PSA 0.66 ng/mL."),
    ("[patient] my blood sugar was in the three hundreds", "Blood sugar in the 300s."),
    ("[patient] my blood pressure has been in the one forties", "Home BP in the 140s."),
    ("[doctor] your heart rate is in the nineties", "Heart rate in the 90s."),
    ("[patient] it 's been going on since about two thousand eighteen", "Since 2018."),
    ("[doctor] your sodium was one thirty two", "Na 132."),
    ("[doctor] your hemoglobin was ten point five", "Hgb 10.5."),
    ("[doctor] we 'll recheck it in three to six months", "Recheck in 3-6 months."),
    (
        "[doctor] you 'll need physical therapy two to three times a week for six weeks",
        "Physical therapy 2-3 times weekly x6 weeks.",
    ),
]
SPOKEN_NUMBERS_OTHERWISE = [
    ("[doctor] your psa was point six six", "PSA 6.6."),
    ("[patient] my blood sugar was in the three hundreds", "Blood sugar in the 200s."),
    ("[doctor] your sodium was one thirty two", "Na 123."),
    ("[doctor] you 'll need physical therapy two to three times a week for six weeks", "PT 2-3x/week for 8 weeks."),
    ("[patient] it started a few days ago", "Symptoms started 3 weeks ago."),
]

# what may happen, what others have, what people in general get: none of it is the patient's finding
MAY_HAPPEN_THE_SAME = [
    ("[doctor] the side effects can include dizziness and headaches", "Denies dizziness."),
    ("[doctor] you know sometimes people with this get swelling in their legs", "No leg swelling."),
    ("[patient] my wife has had a cough for a week", "Denies cough."),
    (
        "[doctor] this could be a fracture so we 'll get an x-ray\n[doctor] the x-ray looks good",
        "No fracture on x-ray.",
    ),
    ("[doctor] we 'll check for infection", "No signs of infection."),
    ("[doctor] some patients experience tingling after this procedure", "Denies tingling."),
    ("[doctor] let 's avoid anything that could cause bleeding", "No bleeding."),
    ("[doctor] pain medicine can make you constipated", "Denies constipation."),
    ("[doctor] to prevent swelling keep it elevated", "No swelling."),
    ("[patient] i had some swelling after the surgery but that 's been gone for years", "No swelling."),
]
# results said with their values
VALUES_THE_SAME = [
    (
        "[doctor] your hemoglobin a1c went from eight point five to seven point two",
        "Hemoglobin A1c decreased to 7.2% from 8.5%.",
    ),
    ("[doctor] it looks like a grade one ankle sprain", "Grade I ankle sprain."),
    ("[doctor] your kidney disease is stage three", "Stage III chronic kidney disease."),
    ("[patient] i had two c-sections", "History of C-section x2."),
    ("[patient] this is the third time this has happened", "3rd occurrence."),
    ("[doctor] the lesion is about five millimeters", "0.5 cm lesion."),
]
VALUES_OTHERWISE = [
    ("[doctor] it looks like a grade one ankle sprain", "Grade 2 ankle sprain."),
    ("[doctor] your phq nine score was five", "PHQ-9 score of 15."),
    ("[doctor] your hemoglobin a1c went from eight point five to seven point two", "A1c improved from 8.5 to 6.2."),
    ("[doctor] the lesion is about five millimeters", "A 5 cm lesion."),
]
# what was had yesterday, last month, as a teenager, is not had today
IN_THE_PAST_THE_SAME = [
    (
        "[patient] i passed out last month\n[doctor] any episodes since then\n[patient] no",
        "No further episodes of syncope.",
    ),
    ("[patient] i passed out last month but nothing since", "No further syncope since last month."),
    ("[patient] i had a fever last week but i 'm fine now", "No fever today."),
    ("[patient] i had chest pain yesterday but none today", "Denies chest pain today."),
    ("[patient] i had headaches as a teenager", "Denies headaches."),
    ("[patient] i was vomiting on monday but it stopped", "No further vomiting."),
]
IN_THE_PAST_OTHERWISE = [
    ("[patient] i passed out again this morning", "No further episodes of syncope."),
    ("[patient] i still get heartburn every night", "Denies heartburn."),
    ("[patient] i 've had chest pain since last week", "Denies chest pain."),
]
# findings in the patient's words
IN_THEIR_WORDS_THE_SAME = [
    ("[patient] i twisted my ankle playing soccer", "Ankle injury while playing soccer."),
    ("[patient] i got into a car accident", "Injured in a motor vehicle accident."),
    ("[doctor] there 's a small spot on your lung on the ct", "Small pulmonary nodule on CT."),
    ("[patient] i 've had this mole on my back", "Skin lesion on the back."),
    ("[patient] i had hives all over", "Urticarial rash."),
    ("[patient] i 've been really nervous and on edge", "Reports anxiety."),
    ("[patient] i 've been feeling down and hopeless", "Reports depressed mood."),
    ("[patient] i 've been feeling kind of foggy and disoriented", "Reports confusion."),
    ("[patient] my back muscles keep cramping up", "Muscle spasms in the back."),
    ("[doctor] your finger looks a little crooked", "Deformity of the finger."),
    ("[patient] i 've been coughing up blood", "Hemoptysis."),
    ("[patient] i saw blood when i wiped", "Reports rectal bleeding."),
    ("[patient] my stomach feels bloated and full", "Abdominal distension."),
    ("[patient] i ca n't fall asleep at night", "Insomnia."),
    ("[doctor] any trouble sleeping\n[patient] no i sleep fine", "Denies insomnia."),
    ("[patient] my knee gives way when i go down stairs", "Reports knee instability."),
]
# what the visit reports, written as denied
REPORTED_WRITTEN_AS_DENIED = [
    ("[doctor] any medical problems?\n[patient] I have sugar problems, my sugars run high.", "Denies diabetes."),
    ("[patient] i 've noticed my ankles are swelling up", "Denies ankle swelling."),
    ("[patient] i get short of breath when i walk up the stairs", "Denies shortness of breath."),
    ("[patient] i feel dizzy when i stand up", "Denies dizziness."),
    ("[patient] my stomach has been hurting after i eat", "Denies abdominal pain."),
    ("[patient] i 've been coughing a lot at night", "Denies cough."),
    ("[patient] my hands go numb at night", "Denies numbness."),
    ("[doctor] i do appreciate some swelling of the right knee", "No swelling of the right knee."),
    ("[doctor] you do have some tenderness over the lateral malleolus", "No tenderness over the lateral malleolus."),
    ("[doctor] you have one plus pitting edema in your legs", "No edema."),
    ("[doctor] there is some redness and warmth around the wound", "No erythema or warmth."),
    ("[doctor] i can feel a small lump in your breast", "No masses."),
    ("[doctor] you have decreased range of motion and pain with flexion", "No pain with flexion."),
    ("[doctor] there 's some crepitus with range of motion", "No crepitus."),
    ("[patient] i 'm having a lot of pain in my lower back", "Denies low back pain."),
    ("[patient] i 've been having trouble sleeping", "Denies insomnia."),
    ("[patient] i 've had the runs for three days", "Denies diarrhea."),
    ("[patient] i get a racing heart at night", "Denies palpitations."),
]
# a question asked on a condition ("when I push on the outside, does that hurt?") answered "no" denies the pain there,
# not the pain the visit is about
_PUSHED = (
    "[patient] my right knee has been hurting for a month\n[doctor] now when i push on the outside of your right knee"
    " does that hurt at all\n[patient] no"
)
ON_A_CONDITION_THE_SAME = [
    (_PUSHED, "She uses ice for the pain."),
    (_PUSHED, "Right knee pain for 1 month."),
    (_PUSHED, "No pain to palpation of the lateral aspect of the right knee."),
    ("[doctor] when i push on your abdomen it is soft", "Wound without pus."),
]
ON_A_CONDITION_OTHERWISE = [
    (_PUSHED, "Denies knee pain."),
    ("[patient] my left knee does n't really hurt but my right knee hurts", "Reports left knee pain."),
    ("[doctor] okay and when i press on your right knee sorry does that hurt\n[patient] yes", "No right knee pain."),
]
MAY_HAPPEN_OTHERWISE = [
    ("[doctor] i can feel some swelling in your ankle", "No ankle swelling."),
    ("[doctor] you can see the redness here on your arm", "No redness."),
    ("[patient] my wife says i cough all night", "Denies cough."),
    ("[doctor] the swelling is causing your pain", "Denies pain."),
]

# A review of systems as ACI-Bench transcribes it (rapid lists, answers that think first, hedge, or end in "but no"):
# (visit, the denial a note writes, the same finding written as present)
REVIEW_OF_SYSTEMS = [
    ("[doctor] any fevers or chills\n[patient] no", "Denies fevers or chills.", "Reports fevers or chills."),
    ("[doctor] have you had any chest pain\n[patient] no i have n't", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any shortness of breath\n[patient] nope", "Denies shortness of breath.", "Reports shortness of breath."),
    (
        "[doctor] any nausea or vomiting\n[patient] not that i 've noticed",
        "Denies nausea or vomiting.",
        "Reports nausea and vomiting.",
    ),
    (
        "[doctor] any numbness or tingling in your hands\n[patient] no nothing like that",
        "Denies numbness or tingling in the hands.",
        "Reports numbness and tingling in the hands.",
    ),
    (
        "[doctor] does your knee ever give out on you\n[patient] no it does n't",
        "Denies instability of the knee.",
        "Reports the knee giving way.",
    ),
    (
        "[doctor] have you noticed any blood in your stool\n[patient] no i have n't",
        "Denies blood in the stool.",
        "Reports blood in the stool.",
    ),
    ("[doctor] any pain with urination\n[patient] no", "Denies dysuria.", "Reports dysuria."),
    ("[doctor] okay and any headaches\n[patient] no not really", "Denies headaches.", "Reports headaches."),
    ("[doctor] any dizziness or lightheadedness\n[patient] no i feel fine", "Denies dizziness.", "Reports dizziness."),
    (
        "[doctor] and you 're not having any swelling in your legs\n[patient] no",
        "Denies leg swelling.",
        "Reports leg swelling.",
    ),
    (
        "[doctor] you have n't had any weight loss\n[patient] no my weight 's been stable",
        "Denies weight loss.",
        "Reports weight loss.",
    ),
    (
        "[doctor] any diarrhea or constipation\n[patient] no everything 's been normal",
        "Denies diarrhea or constipation.",
        "Reports diarrhea.",
    ),
    ("[doctor] any trouble swallowing\n[patient] no", "Denies dysphagia.", "Reports dysphagia."),
    (
        "[doctor] how about palpitations or your heart racing\n[patient] no",
        "Denies palpitations.",
        "Reports palpitations.",
    ),
    ("[doctor] any cough\n[patient] no cough", "Denies cough.", "Reports cough."),
    ("[doctor] any night sweats\n[patient] no", "Denies night sweats.", "Reports night sweats."),
    ("[doctor] did you hit your head\n[patient] no i did n't", "Denies head injury.", None),
    ("[doctor] did you lose consciousness\n[patient] no", "Denies loss of consciousness.", None),
    ("[doctor] any blurry vision\n[patient] no my vision is fine", "Denies blurry vision.", "Reports blurry vision."),
    (
        "[doctor] any abdominal pain\n[patient] no my stomach feels fine",
        "Denies abdominal pain.",
        "Reports abdominal pain.",
    ),
    ("[doctor] so no fever no chills\n[patient] right", "Denies fever and chills.", "Reports fever and chills."),
    (
        "[doctor] have you been feeling depressed at all\n[patient] no i 've been in a good mood",
        "Denies depression.",
        "Reports depression.",
    ),
    ("[doctor] any anxiety\n[patient] no not really", "Denies anxiety.", "Reports anxiety."),
    (
        "[doctor] are you having any trouble sleeping\n[patient] no i sleep fine",
        "Denies trouble sleeping.",
        "Reports trouble sleeping.",
    ),
    ("[doctor] any joint pain\n[patient] no", "Denies joint pain.", "Reports joint pain."),
    ("[doctor] have you had any rashes\n[patient] no", "Denies rashes.", "Reports a rash."),
    ("[doctor] any bleeding\n[patient] no bleeding", "Denies bleeding.", "Reports bleeding."),
    (
        "[doctor] are you short of breath when you walk up stairs\n[patient] no not at all",
        "Denies dyspnea on exertion.",
        "Reports dyspnea on exertion.",
    ),
    ("[doctor] any pain in your calves when you walk\n[patient] no", "Denies claudication.", None),
    ("[doctor] any burning when you pee\n[patient] no", "Denies dysuria.", "Reports dysuria."),
    ("[doctor] any blood in your urine\n[patient] no", "Denies hematuria.", "Reports hematuria."),
    ("[doctor] any change in your bowel habits\n[patient] no", "Denies change in bowel habits.", None),
    ("[doctor] do you get short of breath lying flat\n[patient] no", "Denies orthopnea.", None),
    (
        "[doctor] any weakness in your arms or legs\n[patient] no",
        "Denies weakness.",
        "Reports weakness in the arms and legs.",
    ),
    (
        "[doctor] any tingling down your leg\n[patient] no it just stays in my back",
        "Denies radicular symptoms.",
        "Reports tingling down the leg.",
    ),
    (
        "[doctor] any loss of bladder or bowel control\n[patient] no",
        "Denies bowel or bladder incontinence.",
        "Reports bowel and bladder incontinence.",
    ),
    ("[doctor] any sore throat\n[patient] no my throat 's fine", "Denies sore throat.", "Reports sore throat."),
    ("[doctor] have you had any falls\n[patient] no i have n't fallen", "Denies falls.", "Reports falls."),
    ("[doctor] any heartburn or reflux\n[patient] no", "Denies heartburn.", "Reports heartburn."),
    (
        "[doctor] any fever chills nausea vomiting\n[patient] no none of that",
        "Denies fever, chills, nausea, or vomiting.",
        "Reports nausea.",
    ),
    ("[doctor] have you had any fever\n[patient] i do n't think so", "Denies fever.", "Reports fever."),
    (
        "[doctor] any chest pain or shortness of breath\n[patient] um no not really i mean i get tired but no",
        "Denies chest pain.",
        "Reports chest pain.",
    ),
    (
        "[doctor] and have you noticed any swelling in your ankles\n[patient] um let me think no i have n't noticed anything",
        "Denies ankle swelling.",
        "Reports ankle swelling.",
    ),
    ("[doctor] so you 're not having any pain right now\n[patient] no not right now", "No pain currently.", None),
    (
        "[patient] i have n't had any headaches since i started the medication",
        "No headaches since starting the medication.",
        "Reports headaches since starting the medication.",
    ),
    (
        "[patient] and i have n't had any more episodes of chest pain",
        "No further episodes of chest pain.",
        "Reports further episodes of chest pain.",
    ),
    ("[doctor] any problems with your vision\n[patient] no", "Denies vision changes.", "Reports vision changes."),
    (
        "[doctor] have you been coughing up anything\n[patient] no it 's a dry cough",
        "Denies sputum production.",
        "Reports sputum production.",
    ),
    ("[doctor] any other symptoms fever body aches\n[patient] no just the cough", "Denies fever.", "Reports fever."),
    (
        "[doctor] any shortness of breath with it\n[patient] no i can breathe fine",
        "Denies shortness of breath.",
        "Reports shortness of breath.",
    ),
    ("[doctor] okay and you 've not had any vomiting\n[patient] no vomiting", "Denies vomiting.", "Reports vomiting."),
    (
        "[doctor] does it wake you up at night\n[patient] no i sleep through the night",
        "Denies nocturnal pain.",
        "The pain wakes him up at night.",
    ),
    (
        "[doctor] any locking or catching of the knee\n[patient] no",
        "Denies locking or catching.",
        "Reports locking and catching of the knee.",
    ),
    ("[doctor] any redness or warmth\n[patient] no", "Denies redness or warmth.", "Reports redness and warmth."),
    (
        "[doctor] has there been any drainage from the wound\n[patient] no it 's been dry",
        "Denies drainage from the wound.",
        "Reports drainage from the wound.",
    ),
    (
        "[doctor] any pain radiating down your arm\n[patient] no",
        "Denies radiation of pain to the arm.",
        "Reports pain radiating down the arm.",
    ),
    ("[doctor] and no fever right\n[patient] no fever", "Denies fever.", "Reports fever."),
    ("[patient] i 've been feeling good no complaints really", "No complaints.", "Reports fatigue."),
    ("[doctor] any bruising\n[patient] not that i 've seen", "Denies bruising.", "Reports bruising."),
    (
        "[doctor] are you having any side effects from the metformin like stomach upset or diarrhea\n[patient] no i 'm doing fine with it",
        "Denies diarrhea.",
        "Reports diarrhea.",
    ),
    (
        "[doctor] are you having any muscle aches with the statin\n[patient] no",
        "Denies myalgias.",
        "Reports muscle aches.",
    ),
    (
        "[doctor] any urinary symptoms like burning or frequency\n[patient] no",
        "Denies urinary symptoms.",
        "Reports burning with urination.",
    ),
    ("[doctor] how about your appetite\n[patient] it 's been good", "Appetite is good.", None),
    ("[doctor] any tremors\n[patient] no", "Denies tremors.", "Reports tremors."),
    ("[doctor] any confusion or memory problems\n[patient] no", "Denies confusion.", "Reports confusion."),
    ("[doctor] any wheezing\n[patient] no wheezing", "Denies wheezing.", "Reports wheezing."),
    (
        "[doctor] you 're not having any suicidal thoughts\n[patient] no never",
        "Denies suicidal ideation.",
        "Reports suicidal ideation.",
    ),
    ("[doctor] alright any seizures\n[patient] no", "Denies seizures.", "Reports seizures."),
    ("[doctor] okay any neck pain\n[patient] nope my neck is fine", "Denies neck pain.", "Reports neck pain."),
    ("[doctor] any back pain\n[patient] no my back 's okay", "Denies back pain.", "Reports back pain."),
    ("[doctor] okay any cramping\n[patient] no", "Denies cramping.", "Reports cramping."),
    ("[doctor] any stiffness in the morning\n[patient] no", "Denies morning stiffness.", "Reports morning stiffness."),
    ("[doctor] any bloating\n[patient] no", "Denies bloating.", "Reports bloating."),
    (
        "[doctor] have you had any difficulty breathing\n[patient] no",
        "Denies difficulty breathing.",
        "Reports difficulty breathing.",
    ),
    (
        "[doctor] any pain when you take a deep breath\n[patient] no",
        "Denies pleuritic chest pain.",
        "Reports pain with deep breathing.",
    ),
]
REVIEW_OF_SYSTEMS_THE_SAME = [(visit, denied) for visit, denied, _ in REVIEW_OF_SYSTEMS]
REVIEW_OF_SYSTEMS_OTHERWISE = [(visit, present) for visit, _, present in REVIEW_OF_SYSTEMS if present]
_AGE_SAID = "[doctor] how old are you\n[patient] i 'm sixty two"
_SIX_PACK = "[patient] i drink about a six pack on the weekends"
AS_SPLIT_THE_SAME = [(_AGE_SAID, "62-year-old male."), (_SIX_PACK, "He drinks 6 beers on weekends.")]
AS_SPLIT_OTHERWISE = [(_AGE_SAID, "72-year-old male."), (_SIX_PACK, "He drinks 12 beers on weekends.")]

# How long something has lasted is not when to come back, nor how long a treatment runs.
_ONSET_AND_RETURN = (
    "[patient] it started hurting about a week ago when i was moving hay\n"
    "[doctor] okay i want to see you back in about one to two weeks"
)
_LASTED_AND_RETURN = (
    "[patient] i 've had this pain for about a week now\n[doctor] we will see you back in a week or two"
)
_BOTH = "[patient] i 've had this cough for two weeks\n[doctor] i 'll see you in two weeks"
_THERAPY = "[doctor] i want you to do physical therapy for the next six weeks"
_QUIT = "[patient] i have n't had a cigarette in two weeks\n[doctor] great see you in two weeks"
_IF_NOT_PASSED = (
    "[patient] it started hurting about a week ago\n"
    "[doctor] if the stone has n't passed in one to two weeks we will talk about lithotripsy"
)
HOW_LONG_THE_SAME = [
    (_ONSET_AND_RETURN, "The pain began 1 week ago."),
    (_ONSET_AND_RETURN, "Follow up in 2 weeks."),
    (_LASTED_AND_RETURN, "For approximately 1 week she has had back pain."),
    (_LASTED_AND_RETURN, "Follow up in 1-2 weeks."),
    (_BOTH, "He has had a cough for 2 weeks."),
    (_THERAPY, "Physical therapy for 6 weeks."),
    (_THERAPY, "She has been referred to physical therapy for 6 weeks."),
    (_QUIT, "He quit smoking 2 weeks ago."),
    (_QUIT, "He has not smoked for 2 weeks."),
]
_KNEE_AND_RETURN = (
    "[patient] my knee has been hurting for about two weeks\n"
    "[doctor] okay let 's get you into physical therapy and i 'll see you back in four weeks"
)
_COUGH_AND_COURSE = (
    "[patient] the cough started three days ago\n"
    "[doctor] take the antibiotic for seven days and call me if you 're not better in a week"
)
HOW_LONG_THE_SAME += [
    (_KNEE_AND_RETURN, "Follow up in 4 weeks."),
    (_KNEE_AND_RETURN, "Knee pain for 2 weeks."),
    (_COUGH_AND_COURSE, "Cough for 3 days."),
    (_COUGH_AND_COURSE, "Antibiotic for 7 days."),
    (_COUGH_AND_COURSE, "Call if not improved in 1 week."),
]
_ONSET_AND_FOUR_WEEKS = (
    "[patient] my knee started hurting about two weeks ago\n[doctor] i 'll see you back in four weeks"
)
HOW_LONG_THE_SAME += [
    (_ONSET_AND_FOUR_WEEKS, "Knee pain began 2 weeks ago; follow up in 4 weeks."),
    (_ONSET_AND_FOUR_WEEKS, "Knee pain began 2 weeks ago. Return in 4 weeks."),
]
HOW_LONG_OTHERWISE = [
    (_ONSET_AND_FOUR_WEEKS, "Knee pain began 4 weeks ago; follow up in 4 weeks."),
    (_ONSET_AND_FOUR_WEEKS, "Knee pain began 2 weeks ago; follow up in 2 weeks."),
    (_KNEE_AND_RETURN, "Follow up in 2 weeks."),
    (_KNEE_AND_RETURN, "Knee pain began 4 weeks ago."),
    (_COUGH_AND_COURSE, "Follow up in 3 days."),
    (_ONSET_AND_RETURN, "The pain began 2 weeks ago."),
    (_LASTED_AND_RETURN, "For approximately 2 weeks she has had back pain."),
    (_IF_NOT_PASSED, "Pain began 2 weeks ago."),
]

# Losing consciousness said as a verb, a noun or an idiom; "no problem sleeping".
_NO_LOC = "[doctor] did you lose consciousness\n[patient] no"
_BLACKED_OUT = "[patient] i blacked out for a few seconds"
_DID_NOT_PASS_OUT = "[doctor] did you pass out\n[patient] no i did n't"
_SLEEPS = "[patient] i have no problem sleeping"
CONSCIOUSNESS_THE_SAME = [
    (_NO_LOC, "Denies loss of consciousness."),
    (_BLACKED_OUT, "Reports loss of consciousness."),
    (_BLACKED_OUT, "Brief loss of consciousness."),
    (_DID_NOT_PASS_OUT, "Denies loss of consciousness."),
    (_SLEEPS, "Sleeps well."),
]
CONSCIOUSNESS_OTHERWISE = [
    (_NO_LOC, "Reports loss of consciousness."),
    (_BLACKED_OUT, "Denies loss of consciousness."),
    (_DID_NOT_PASS_OUT, "He lost consciousness."),
    (_SLEEPS, "Reports insomnia."),
]

# A range is held together: one end moved is another range, even where the new end is said of something else; so is
# a part and its whole ("2 out of 3"), while a score out of the same whole may change.
_MILES = "[patient] uh 20 to 30 miles\n[patient] in years back i could do 40 on a good day"
_DAYS_BETTER = (
    "[patient] i was in the hospital for nine days\n"
    "[doctor] you should start to feel better over the next four five six seven days"
)
_BP_CHECKS = (
    "[patient] i walk four times a week\n[doctor] i want you to check your blood pressure two to three times a week"
)
_WEEK_OR_TWO = "[patient] it 's been three weeks\n[doctor] come back in a week or two"
_CORTISOL = (
    "[doctor] so we did the salivary cortisol tests and two out of three were normal\n[patient] i have four kids"
)
_SCORES = (
    "[patient] the pain was like a six out of ten yesterday and today it 's a seven\n"
    "[doctor] your blood pressure is one twenty over eighty"
)
_MURMUR = "[doctor] i hear a two out of six systolic murmur"
RANGES_THE_SAME = [
    (_CORTISOL, "Salivary cortisol: 2 out of 3 normal."),
    (_CORTISOL, "Salivary cortisol tests: 2/3 normal."),
    (_SCORES, "Pain 7/10 today."),
    (_SCORES, "Pain 6/10 yesterday."),
    (_SCORES, "BP 120/80."),
    (_MURMUR, "2/6 systolic murmur."),
    ("[doctor] there is a three out of six systolic ejection murmur\n[patient] my pain is a three", "Pain 3/10."),
    (_MILES, "He cycles 20 to 30 miles at a time."),
    (_MILES, "He cycles 20-30 miles."),
    (_DAYS_BETTER, "Improvement expected over the next 4 to 6 days."),
    (_BP_CHECKS, "Check blood pressure 2-3 times a week."),
    (_WEEK_OR_TWO, "Follow up in 1-2 weeks."),
]
RANGES_OTHERWISE = [
    (_CORTISOL, "Salivary cortisol: 2 out of 4 normal."),
    (_SCORES, "BP 120/90."),
    (_MILES, "He cycles 20 to 40 miles at a time."),
    (_DAYS_BETTER, "Improvement expected over the next 4 to 9 days."),
    (_BP_CHECKS, "Check blood pressure 2-4 times a week."),
    (_WEEK_OR_TWO, "Follow up in 1-3 weeks."),
]

# Ways of saying no to a question about a symptom, as transcribed ("negative", "nothing like that", "thankfully no",
# "i 'm not", "there is n't"), and denials said in passing.
SAYING_NO = [
    ("[patient] i ca n't say that i 've had any chest pain", "Denies chest pain.", "Reports chest pain."),
    ("[patient] it does n't hurt to breathe", "Denies pleuritic pain.", "Reports pain with breathing."),
    ("[patient] i have n't noticed any blood when i wipe", "Denies blood with wiping.", "Reports blood when wiping."),
    ("[doctor] so to recap no fever no chills but you do have a cough", "Denies fever and chills.", "Reports fever."),
    ("[patient] i 've had no problems with my stomach", "Denies GI symptoms.", "Reports stomach pain."),
    ("[patient] no swelling that i can tell", "Denies swelling.", "Reports swelling."),
    ("[patient] i would n't say i 'm depressed", "Denies depression.", "Reports depression."),
    ("[patient] i do n't really get headaches anymore", "No longer has headaches.", "Reports headaches."),
    ("[doctor] any fever\n[patient] not that i know of", "Denies fever.", "Reports fever."),
    ("[doctor] any chest pain\n[patient] no ma'am", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] nah", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] no sir none", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] uh nope not at all", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] hmm no i would say no", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] negative", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] nothing", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] nothing like that", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] no no chest pain", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] i have not", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] thankfully no", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] oh no", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] not at all", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] no i 'm good", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] no i 've been feeling great", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] um i do n't believe so", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] never", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] any chest pain\n[patient] no not since the last visit", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] have you had chest pain\n[patient] i have n't", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] you 've had no chest pain\n[patient] correct", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] you have n't had any chest pain\n[patient] that 's right", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] is there any chest pain\n[patient] there is n't", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] are you having chest pain\n[patient] i 'm not", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] do you have chest pain\n[patient] i do n't", "Denies chest pain.", "Reports chest pain."),
    ("[doctor] does your chest hurt\n[patient] it does n't", "Denies chest pain.", "Reports chest pain."),
]
SAYING_NO_THE_SAME = [(visit, denied) for visit, denied, _ in SAYING_NO]
SAYING_NO_OTHERWISE = [(visit, present) for visit, _, present in SAYING_NO]

# Symptoms reported as transcribed, against a note that denies them.
_NAUSEA_A_LITTLE = "[doctor] any nausea\n[patient] a little bit yeah"
_LOST_POUNDS = "[patient] i 've lost about fifteen pounds without trying"
REPORTED_THE_SAME = [
    (_NAUSEA_A_LITTLE, "Reports mild nausea."),
    (_LOST_POUNDS, "Reports unintentional weight loss."),
    (_LOST_POUNDS, "She has lost 15 pounds."),
]
REPORTED_OTHERWISE = [
    (_NAUSEA_A_LITTLE, "Denies nausea."),
    (_LOST_POUNDS, "Denies weight loss."),
    (_LOST_POUNDS, "She has lost 50 pounds."),
]

# Sides as a visit says them ("it's my left knee that's been bothering me", one side normal and the other not in one
# breath): (visit, the side said, the other side)
SIDES = [
    ("[patient] it 's my left knee that 's been bothering me", "Left knee pain.", "Right knee pain."),
    (
        "[doctor] on exam of your right shoulder you have pain with abduction",
        "Right shoulder pain with abduction.",
        "Left shoulder pain with abduction.",
    ),
    (
        "[patient] the pain is on the right side of my lower back",
        "Right-sided low back pain.",
        "Left-sided low back pain.",
    ),
    (
        "[doctor] i want to get an x-ray of your left wrist",
        "X-ray of the left wrist ordered.",
        "X-ray of the right wrist ordered.",
    ),
    (
        "[patient] i fell on my outstretched right hand",
        "Fall onto an outstretched right hand.",
        "Fall onto an outstretched left hand.",
    ),
    (
        "[doctor] there 's some swelling of the left ankle but the right ankle looks normal",
        "Left ankle swelling.",
        "Right ankle swelling.",
    ),
    ("[patient] it 's on the left yeah my left eye", "Left eye symptoms.", "Right eye symptoms."),
    (
        "[doctor] the ultrasound showed a cyst in the right breast",
        "Right breast cyst on ultrasound.",
        "Left breast cyst on ultrasound.",
    ),
    ("[patient] i 'm right handed", "Right-hand dominant.", "Left-hand dominant."),
    ("[doctor] so it 's your right big toe that hurts\n[patient] yes", "Right great toe pain.", "Left great toe pain."),
]
SIDES_THE_SAME = [(visit, said) for visit, said, _ in SIDES]
SIDES_OTHERWISE = [(visit, other) for visit, _, other in SIDES]

# What a heart does, a few words after it: "my heart feels like it's racing" is palpitations.
_RACING = "[patient] my heart feels like it 's racing sometimes"
_POUNDING = "[patient] my heart keeps pounding at night"
_HEART_FINE = "[doctor] any racing heart\n[patient] no my heart has been fine"
_RACING_AROUND = "[doctor] your heart is regular no murmurs\n[patient] i 've been racing around all day"
HEART_THE_SAME = [
    (_RACING, "Reports palpitations."),
    (_POUNDING, "Reports palpitations."),
    (_HEART_FINE, "Denies palpitations."),
    (_RACING_AROUND, "Heart regular without murmurs."),
]
HEART_OTHERWISE = [
    (_RACING, "Denies palpitations."),
    (_POUNDING, "Denies palpitations."),
    (_HEART_FINE, "Reports palpitations."),
]

# A review of systems as ACI-Bench transcribes it, one question and one answer at a time; among them findings said
# without their word: ringing in the ears (tinnitus), short of breath lying flat (orthopnea), hitting one's head,
# a loss of appetite, going often (urinary frequency).
_ROS = [
    (
        "[doctor] did you hit your head when you fell\n[patient] no i did n't",
        "He did not hit his head.",
        "He hit his head.",
    ),
    ("[doctor] did you hit your head\n[patient] no", "Denies head injury.", "Reports head injury."),
    (
        "[patient] i slipped on the ice and hit my head on the step",
        "She slipped on ice and hit her head.",
        "She slipped on ice but did not hit her head.",
    ),
    ("[patient] i fell and banged my head", "He fell and hit his head.", "He fell without hitting his head."),
    ("[doctor] do you get short of breath when you lie flat\n[patient] no", "Denies orthopnea.", "Reports orthopnea."),
    (
        "[doctor] any shortness of breath when you lie down at night\n[patient] no",
        "Denies orthopnea.",
        "Reports orthopnea.",
    ),
    (
        "[patient] i get short of breath when i lie down so i sleep on three pillows",
        "Reports orthopnea.",
        "Denies orthopnea.",
    ),
    ("[doctor] any ringing in your ears\n[patient] no", "Denies tinnitus.", "Reports tinnitus."),
    ("[patient] no ringing in my ears", "No tinnitus.", "Positive for tinnitus."),
    (
        "[doctor] any loss of appetite\n[patient] no i 'm eating fine",
        "Denies loss of appetite.",
        "Reports loss of appetite.",
    ),
    (
        "[doctor] have you had a loss of appetite\n[patient] no i eat fine",
        "Appetite unchanged.",
        "Endorses decreased appetite.",
    ),
    ("[doctor] any urinary frequency\n[patient] no", "Denies urinary frequency.", "Reports urinary frequency."),
    ("[doctor] any frequent urination\n[patient] no", "No urinary frequency.", "Positive for urinary frequency."),
    ("[doctor] any burning when you urinate\n[patient] no", "Denies dysuria.", "Reports dysuria."),
    ("[doctor] any night sweats\n[patient] no", "Denies night sweats.", "Reports night sweats."),
    ("[doctor] any black tarry stools\n[patient] no", "Denies melena.", "Reports melena."),
    ("[doctor] have you passed out at all\n[patient] no", "Denies syncope.", "Reports syncope."),
    ("[doctor] any fevers\n[patient] not that i know of", "Denies fevers.", "Reports fevers."),
]
_ROS_FAITHFUL = [
    ("[patient] i 've just lost my appetite i 'm not hungry at all", "Reports loss of appetite."),
    ("[patient] i have n't had much of an appetite lately", "Reports decreased appetite."),
    ("[doctor] any loss of appetite\n[patient] yeah a little bit", "Reports decreased appetite."),
    ("[doctor] any loss of appetite\n[patient] no my appetite is good", "Appetite is good."),
    ("[patient] my ears have been ringing for a week", "Reports tinnitus for 1 week."),
    ("[doctor] any ringing in your ears\n[patient] yes sometimes", "Reports intermittent tinnitus."),
    ("[patient] i 'm going to the bathroom all the time to pee", "Reports urinary frequency."),
    ("[doctor] are you urinating more often\n[patient] yeah a lot more", "Reports urinary frequency."),
    ("[doctor] any hearing loss or ringing in the ears\n[patient] no", "Denies hearing loss or tinnitus."),
    ("[doctor] did you hit your head when you fell\n[patient] no i did n't", "Reports a fall."),
    ("[patient] i get short of breath when i lie down", "Reports shortness of breath."),
    # "no, only when I walk up stairs": not lying flat, but there under another condition
    (
        "[doctor] do you get short of breath when you lie flat\n[patient] no only when i walk up stairs",
        "Reports dyspnea on exertion.",
    ),
    (
        "[doctor] do you get short of breath when you lie flat\n[patient] no only when i walk up stairs",
        "Denies orthopnea. Reports shortness of breath with exertion.",
    ),
    ("[doctor] any chest pain\n[patient] no just when i run", "Reports chest pain with running."),
]
# what the body does, said to be fine: "my breathing has been fine" denies shortness of breath
_FINE = [
    ("[patient] my breathing has been fine", "Denies shortness of breath.", "Reports shortness of breath."),
    ("[doctor] how 's your vision\n[patient] my vision is fine", "No vision changes.", "Reports blurred vision."),
    ("[patient] urinating is normal no problems there", "Denies urinary symptoms.", "Reports painful urination."),
    (
        "[patient] my breathing 's been pretty good lately",
        "Breathing has been good.",
        "Reports worsening shortness of breath.",
    ),
    ("[doctor] any pain in your calves\n[patient] no", "Denies calf pain.", "Reports calf pain."),
]
_FINE_FAITHFUL = [
    (
        "[patient] my breathing is fine at rest but i get winded on the stairs",
        "Reports shortness of breath with exertion.",
    ),
    ("[patient] my breathing has n't been good", "Reports shortness of breath."),
    ("[patient] the pain is okay with the tylenol", "Reports pain controlled with Tylenol."),
    ("[doctor] your breath sounds are normal", "Lungs clear."),
    ("[patient] my vision is good with glasses", "Wears glasses."),
    (
        "[doctor] so the shortness of breath okay and how long has that been going on\n[patient] about a week",
        "Reports shortness of breath for 1 week.",
    ),
]
# The exam as dictated and as asked: "no rebound or guarding", "no jvd"; "I'm pressing on your belly, does that
# hurt?" - "No" is no tenderness there (at the site pressed); "and here?" asks the same question somewhere else.
_EXAM = [
    (
        "[doctor] on exam your abdomen is soft non-tender non-distended no rebound or guarding",
        "Abdomen: no rebound or guarding.",
        "Abdomen: rebound and guarding present.",
    ),
    ("[doctor] no jvd", "No JVD.", "JVD present."),
    ("[doctor] there is no jugular venous distension", "No JVD.", "Jugular venous distension."),
    ("[doctor] your pupils are equal and reactive no nystagmus", "No nystagmus.", "Nystagmus present."),
    (
        "[doctor] i 'm pressing on your belly does that hurt anywhere\n[patient] no",
        "No abdominal tenderness to palpation.",
        "Abdominal tenderness to palpation.",
    ),
    (
        "[doctor] i 'm pressing on your belly does that hurt\n[patient] no",
        "Abdomen nontender.",
        "Abdominal tenderness.",
    ),
    (
        "[doctor] let me palpate your neck does that hurt\n[patient] no",
        "Neck nontender.",
        "Neck tenderness to palpation.",
    ),
    (
        "[doctor] when i press on your knee does that hurt\n[patient] no",
        "No knee pain to palpation.",
        "Pain to palpation of the knee.",
    ),
    (
        "[doctor] now i 'm examining your right knee and when i push on the outside does that hurt at all\n[patient] no",
        "No tenderness to palpation of the lateral right knee.",
        "Pain to palpation of the lateral aspect of the right knee.",
    ),
]
_EXAM_FAITHFUL = [
    (
        "[doctor] i 'm pressing on your belly does that hurt\n[patient] no\n[doctor] and now your right knee\n"
        "[patient] ow yeah that hurts",
        "Tenderness of the right knee.",
    ),
    (
        "[doctor] i 'm pressing on your belly does that hurt\n[patient] no\n[doctor] your knee is swollen and it hurts",
        "Right knee tenderness.",
    ),
    (
        "[doctor] i 'm pressing on your belly does that hurt\n[patient] no\n[doctor] okay now the back\n"
        "[patient] yeah that 's sore",
        "Tenderness of the lower back.",
    ),
    (
        "[doctor] i 'm touching your foot can you feel that\n[patient] yes\n[doctor] does it hurt\n[patient] no",
        "Sensation intact.",
    ),
    (
        "[doctor] when i push on your shoulder does that hurt\n[patient] no it 's more when i lift my arm",
        "Pain with shoulder abduction.",
    ),
    (
        "[doctor] i 'm going to press on the outside of your knee does that hurt\n[patient] no\n"
        "[doctor] how about here on the inside\n[patient] yes that hurts",
        "Tenderness to palpation of the medial knee.",
    ),
    (
        "[doctor] when i press on your knee here does that hurt\n[patient] no\n[doctor] and here\n[patient] ow yes",
        "Tenderness to palpation of the knee.",
    ),
    (
        "[doctor] when i press on your knee here does that hurt\n[patient] no\n[doctor] and here\n[patient] ow yes",
        "Knee pain to palpation.",
    ),
    (
        "[doctor] when i press on your shin does that hurt\n[patient] no\n[doctor] you have tenderness over the ankle",
        "Tenderness to palpation of the ankle.",
    ),
    (
        "[doctor] i 'm pressing on your back does that hurt\n[patient] a little",
        "Mild tenderness to palpation of the back.",
    ),
]
# Conditions a patient has or has had, and what a note's history says of them: "denies history of diabetes" in a
# visit about her diabetes is a flag; "cancer screening", "stroke risk" and a family's history are not the patient's.
_CONDITIONS = [
    (
        "[doctor] she has a history of diabetes and high blood pressure",
        "History of diabetes and hypertension.",
        "Denies history of diabetes.",
    ),
    (
        "[patient] yeah i 've had asthma since i was a kid",
        "History of asthma since childhood.",
        "No history of asthma.",
    ),
    (
        "[doctor] any history of heart disease\n[patient] no",
        "No history of heart disease.",
        "History of heart disease.",
    ),
    ("[doctor] do you have diabetes\n[patient] no", "Not diabetic.", "History of diabetes."),
    ("[doctor] he has copd and congestive heart failure", "History of COPD and CHF.", "Denies COPD."),
    ("[doctor] any history of blood clots\n[patient] no never", "No history of blood clots.", "History of DVT."),
    ("[doctor] have you had a stroke before\n[patient] no", "No history of stroke.", "History of stroke."),
    ("[doctor] any history of cancer\n[patient] no", "No history of cancer.", "History of cancer."),
    (
        "[patient] i had a heart attack two years ago",
        "History of myocardial infarction two years ago.",
        "No history of heart attack.",
    ),
    (
        "[patient] i 've had high blood pressure for years",
        "History of hypertension.",
        "No history of high blood pressure.",
    ),
    (
        "[doctor] any history of heart problems like heart attack or stroke\n[patient] no",
        "No history of MI or stroke.",
        "History of stroke.",
    ),
    (
        "[patient] i do n't have diabetes but my dad does",
        "No history of diabetes. Father has diabetes.",
        "History of diabetes.",
    ),
    ("[patient] my arthritis has been acting up in my knees", "Reports knee arthritis acting up.", "Denies arthritis."),
    ("[doctor] he has atrial fibrillation on eliquis", "Atrial fibrillation on Eliquis.", "No atrial fibrillation."),
    # a condition lasts: a history's denial is held against the visit's whole word on it
    (
        "[doctor] so you 've been dealing with your asthma\n[doctor] any daily medications for your asthma\n"
        "[patient] no just the inhaler",
        "History of asthma, uses a rescue inhaler.",
        "No history of asthma.",
    ),
    (
        "[doctor] how is your diabetes\n[patient] good my sugars are fine",
        "History of diabetes.",
        "Denies history of diabetes.",
    ),
    (
        "[doctor] have you been told you have high cholesterol\n[patient] no",
        "No history of hyperlipidemia.",
        "History of high cholesterol.",
    ),
    (
        "[doctor] let 's talk about your coronary artery disease",
        "History of coronary artery disease.",
        "No history of coronary artery disease.",
    ),
]
_CONDITIONS_FAITHFUL = [
    ("[doctor] your diabetes is well controlled your a1c is six point five", "Diabetes, well controlled, A1c 6.5."),
    ("[doctor] we 'll check an a1c to screen for diabetes", "A1c ordered to screen for diabetes."),
    (
        "[doctor] your mom had breast cancer\n[doctor] any cancer yourself\n[patient] no",
        "Family history of breast cancer. No personal history of cancer.",
    ),
    ("[doctor] any family history of breast cancer\n[patient] none\n[doctor] you have breast cancer", "Breast cancer."),
    ("[doctor] there are no signs of heart failure on exam", "No evidence of heart failure."),
    ("[doctor] this puts you at risk for stroke", "Counseled on stroke risk."),
    ("[doctor] your blood pressure is high today one fifty over ninety", "Blood pressure elevated at 150/90."),
    ("[doctor] your blood pressure is high today one fifty over ninety", "No known history of hypertension."),
    ("[doctor] the ct showed no stroke", "CT head negative for stroke."),
    ("[doctor] do you have copd\n[patient] yes i was diagnosed last year", "COPD diagnosed last year."),
    (
        "[doctor] so you do have hepatitis c based on your labs\n[patient] i never knew that",
        "Newly diagnosed hepatitis C.",
    ),
    (
        "[doctor] so you do have hepatitis c based on your labs",
        "He denies ever being diagnosed with hepatitis C before.",
    ),
    ("[doctor] we want to prevent a heart attack", "Goal is prevention of heart attack."),
    (
        "[doctor] any history of cancer\n[patient] no\n[doctor] we 'll do a colonoscopy for colon cancer screening",
        "No history of cancer. Colonoscopy for colon cancer screening.",
    ),
    (
        "[patient] i had one polyp and it was n't cancerous\n[doctor] this is a ductal carcinoma",
        "Invasive ductal carcinoma, a low-risk cancer.",
    ),
    ("[doctor] your kidney function is normal no kidney disease", "No kidney disease."),
    (
        "[doctor] do you have diabetes\n[patient] no i had it when i was pregnant but it went away",
        "History of gestational diabetes, resolved.",
    ),
    ("[patient] my father had a stroke\n[doctor] and you\n[patient] no", "Family history of stroke."),
    ("[doctor] the stent in your right coronary artery looks good", "History of coronary stent."),
    ("[doctor] that rules out a heart attack", "Myocardial infarction ruled out."),
    (
        "[doctor] uncontrolled diabetes can cause kidney disease",
        "Discussed risk of kidney disease with uncontrolled diabetes.",
    ),
    (
        "[doctor] you have diabetes\n[patient] i do n't take any diabetes medications",
        "Diabetes, no diabetes medications.",
    ),
    (
        "[doctor] he has some prostate issues we 'll do a psa that looks for prostate cancer",
        "No symptoms of prostate cancer.",
    ),
]
# Tobacco, as asked and as charted; a chart's answer after the colon ("Fever: none").
_TOBACCO = [
    ("[doctor] do you smoke\n[patient] no i never have", "Never smoker.", "Current smoker."),
    ("[doctor] do you smoke\n[patient] yeah about a pack a day", "Smokes 1 pack per day.", "Denies tobacco use."),
    ("[patient] i smoke half a pack a day", "Smokes half a pack per day.", "Non-smoker."),
    ("[doctor] any tobacco use\n[patient] no", "Denies tobacco use.", "Reports tobacco use."),
    ("[doctor] do you smoke cigarettes\n[patient] no", "Does not smoke.", "Smokes cigarettes daily."),
    ("[doctor] any tobacco use\n[patient] no", "Tobacco use: denies.", "Tobacco use: daily."),
    ("[doctor] any fever\n[patient] no", "Fever: none.", "Fever: present."),
    ("[doctor] any fever\n[patient] yes", "Fever: yes.", "Fever: none."),
    ("[doctor] any fever\n[patient] yes", "Fevers: reported.", "Fevers: denies."),
]
_TOBACCO_FAITHFUL = [
    ("[doctor] any fever\n[patient] no", "Fever: negative."),
    ("[doctor] do you smoke\n[patient] no i quit ten years ago", "Former smoker, quit 10 years ago."),
    ("[doctor] do you smoke\n[patient] no i quit ten years ago", "Quit smoking 10 years ago."),
    ("[doctor] do you smoke\n[patient] no i quit ten years ago", "History of tobacco use."),
    (
        "[doctor] do you smoke\n[patient] no\n[doctor] any secondhand smoke at home\n[patient] my husband smokes",
        "Exposure to secondhand smoke at home.",
    ),
    (
        "[doctor] do you smoke\n[patient] no\n[doctor] any marijuana\n[patient] yeah i smoke a joint on weekends",
        "Denies tobacco. Smokes marijuana on weekends.",
    ),
    ("[patient] i used to smoke in college\n[doctor] and now\n[patient] no", "Former smoker."),
    ("[doctor] you smoke\n[patient] yes\n[doctor] we talked about quitting", "Current smoker, counseled on cessation."),
    ("[patient] i vape sometimes but i do n't smoke cigarettes", "Denies cigarette smoking. Vapes occasionally."),
    (
        "[doctor] do you smoke\n[patient] no\n[doctor] does anyone at home\n[patient] no",
        "He denies smoking or living with anyone who smokes.",
    ),
]
# tobacco talk as it goes: a smoker in the past, a cigar now and then, chewing tobacco (no smoking)
_TOBACCO_FAITHFUL += [
    ("[patient] i used to smoke but i quit years ago", "Denies smoking."),
    ("[doctor] do you smoke\n[patient] i smoked in my twenties but not anymore", "Nonsmoker."),
    ("[doctor] do you smoke cigarettes\n[patient] no just a cigar now and then", "Smokes cigars occasionally."),
    ("[doctor] do you smoke\n[patient] no i vape", "Uses e-cigarettes."),
    ("[doctor] do you drink or smoke\n[patient] i drink socially i do n't smoke", "Drinks socially. Does not smoke."),
    ("[doctor] any tobacco\n[patient] i chew tobacco", "Uses chewing tobacco. Does not smoke cigarettes."),
    (
        "[doctor] are you still smoking\n[patient] not as much maybe three a day",
        "Smoking 3 cigarettes per day, decreased.",
    ),
    ("[doctor] do you smoke\n[patient] socially sometimes", "Occasional social smoker."),
    (
        "[doctor] any alcohol or tobacco use\n[patient] a glass of wine with dinner",
        "Drinks wine with dinner. Denies tobacco use.",
    ),
]
_TOBACCO += [
    ("[doctor] any tobacco\n[patient] i chew tobacco", "Chews tobacco.", "Denies tobacco use."),
    ("[doctor] any tobacco use\n[patient] no", "No tobacco use.", "Smokes cigarettes."),
]
# Allergies: "no known drug allergies" against a visit that names one, an allergy where the visit denies any; a
# reaction to watch for is none.
_ALLERGIES = [
    (
        "[doctor] any allergies to medications\n[patient] yes penicillin gives me hives",
        "Allergic to penicillin (hives).",
        "No known drug allergies.",
    ),
    ("[doctor] any allergies to medications\n[patient] no", "No known drug allergies.", "Allergic to penicillin."),
    ("[doctor] any drug allergies\n[patient] i 'm allergic to sulfa", "Sulfa allergy.", "NKDA."),
    ("[doctor] any drug allergies\n[patient] no none", "NKDA.", "Allergic to sulfa drugs."),
    ("[patient] i 'm allergic to codeine it makes me sick", "Allergy: codeine.", "Allergies: none."),
    (
        "[doctor] any allergies\n[patient] no\n[doctor] and you take lisinopril\n[patient] yes",
        "No known allergies. Takes lisinopril.",
        "Allergic to lisinopril.",
    ),
    ("[doctor] any allergies\n[patient] penicillin", "Penicillin allergy.", "NKDA."),
    (
        "[patient] i had a reaction to amoxicillin once a rash",
        "Allergy to amoxicillin (rash).",
        "No known drug allergies.",
    ),
]
_ALLERGIES.append(
    (
        "[doctor] excellent . i have that you 're allergic to penicillin . any other allergies ?\n"
        "[patient] nope , just penicillin .",
        "Allergies: Penicillin.",
        "No known drug allergies.",
    )
)
# the bundled sample's demo note on an AMD EPYC (stop 31): "The patient has no allergies to medications" after
# "yes, penicillin, it gave me a rash" passed, as did "isn't allergic to anything": only "no known ..." was read
_ALLERGIES += [
    (
        "[doctor] do you have any allergies to medications ?\n[patient] yes , penicillin , it gave me a rash .",
        "Allergic to penicillin (rash).",
        "The patient has no allergies to medications.",
    ),
    ("[doctor] any allergies\n[patient] penicillin gives me hives", "Penicillin allergy.", "No allergies."),
    ("[doctor] any allergies\n[patient] sulfa", "Allergic to sulfa.", "He is n't allergic to any medications."),
]
_ALLERGIES_FAITHFUL = [
    ("[doctor] any allergies to medications\n[patient] no , none", "The patient has no allergies to medications."),
    ("[patient] i 'm not allergic to anything", "He is n't allergic to anything."),
    (
        "[doctor] any allergies\n[patient] no\n[doctor] i 'll prescribe amoxicillin watch for any allergic reaction",
        "NKDA. Amoxicillin prescribed.",
    ),
    (
        "[doctor] any allergies to medications\n[patient] no not to medications but i 'm allergic to cats",
        "NKDA. Allergic to cats.",
    ),
    (
        "[doctor] any allergies\n[patient] just seasonal allergies no medication allergies",
        "No drug allergies; seasonal allergies.",
    ),
    (
        "[doctor] any allergies\n[patient] no\n[doctor] you 're on lisinopril no reactions to it",
        "No known drug allergies.",
    ),
    ("[doctor] do you have any allergies\n[patient] no", "Allergies: none known."),
    ("[doctor] any allergies\n[patient] no\n[doctor] we 'll start the antibiotic", "Patient denies any allergies."),
]
# What is done with a drug: "continue lisinopril" where the physician said to stop it names the right drug at the
# right dose and is wrong; a stop the visit never says is a change nobody made.
_ACTIONS = [
    ("[doctor] i want you to stop the lisinopril", "Stop lisinopril.", "Continue lisinopril."),
    (
        "[doctor] let 's continue the metformin five hundred milligrams twice a day",
        "Continue metformin 500 mg twice daily.",
        "Discontinue metformin.",
    ),
    (
        "[doctor] i 'm going to increase your lisinopril from ten to twenty milligrams",
        "Increase lisinopril from 10 mg to 20 mg.",
        "Decrease lisinopril from 20 mg to 10 mg.",
    ),
    (
        "[doctor] we 'll decrease the metoprolol to twenty five milligrams",
        "Decrease metoprolol to 25 mg.",
        "Increase metoprolol to 25 mg.",
    ),
    (
        "[doctor] i 'm going to start you on atorvastatin forty milligrams",
        "Start atorvastatin 40 mg daily.",
        "Stop atorvastatin.",
    ),
    ("[doctor] hold the ibuprofen for now", "Hold ibuprofen.", "Continue ibuprofen."),
    (
        "[doctor] go ahead and stop taking the aspirin before surgery",
        "Stop aspirin before surgery.",
        "Continue aspirin through surgery.",
    ),
    (
        "[patient] i stopped taking the metformin because it upset my stomach",
        "Stopped metformin due to GI upset.",
        "Currently taking metformin.",
    ),
    (
        "[doctor] keep taking the metformin\n[doctor] we 'll stop the glipizide",
        "Continue metformin. Discontinue glipizide.",
        "Discontinue metformin. Continue glipizide.",
    ),
    ("[doctor] do n't stop the eliquis", "Continue Eliquis.", "Stop Eliquis."),
    (  # MTS-Dialog dev: all but the one named go on
        "[doctor] continue taking your medicines except prozac . okay ?",
        "Continue her usual medications except for discontinuing the Prozac.",
        "Continue Prozac.",
    ),
    ("[doctor] metformin we 'll continue\n[doctor] and stop the januvia", "Metformin: continue.", "Januvia: continue."),
    (
        "[doctor] we 'll taper the prednisone down over two weeks",
        "Prednisone taper over 2 weeks.",
        "Increase prednisone.",
    ),
    (
        "[doctor] before surgery we 'll have to get you off your clopidogrel for a week",
        "Hold clopidogrel for one week before surgery.",
        "Continue clopidogrel through surgery.",
    ),
    ("[patient] i take synthroid every morning\n[doctor] good", "Continue Synthroid.", "Discontinue Synthroid."),
]
_ACTIONS_FAITHFUL = [
    (
        "[doctor] i want you to stop the lisinopril and start losartan fifty milligrams",
        "Stop lisinopril. Start losartan 50 mg.",
    ),
    (
        "[patient] i 'm taking lisinopril ten milligrams\n[doctor] let 's increase that to twenty",
        "Increase lisinopril to 20 mg.",
    ),
    (
        "[patient] i take aspirin every day\n[doctor] stop the aspirin five days before the procedure",
        "Hold aspirin 5 days before the procedure.",
    ),
    (
        "[patient] i take aspirin every day\n[doctor] stop the aspirin five days before the procedure",
        "Takes aspirin daily.",
    ),
    (
        "[doctor] you can stop the ibuprofen once the pain is gone\n[doctor] for now continue the ibuprofen",
        "Continue ibuprofen for now; stop when pain resolves.",
    ),
    ("[patient] i ran out of my lisinopril two weeks ago\n[doctor] okay let 's restart it", "Restart lisinopril."),
    ("[patient] the doctor stopped my metoprolol last year", "History of metoprolol, discontinued last year."),
    ("[doctor] i 'm going to prescribe amoxicillin\n[doctor] stop taking it if you get a rash", "Start amoxicillin."),
    (
        "[doctor] continue the lisinopril twenty milligrams\n[patient] should i stop the hydrochlorothiazide\n[doctor] yes",
        "Continue lisinopril 20 mg.",
    ),
    (
        "[doctor] stop taking any of the nonsteroidals that you 're taking the motrin or advil",
        "She was advised to stop taking any anti-inflammatory such as Motrin or Advil.",
    ),
    (
        "[doctor] stop the anti-inflammatories\n[doctor] use tylenol for pain",
        "Stop anti-inflammatories and use Tylenol as needed for pain.",
    ),
    ("[patient] i 'm not consistent with taking my lasix", "Patient reports she is not consistent with taking Lasix."),
]
# A result's sign ("the covid test was negative" against "COVID positive"), and clear lungs, which have no crackles.
_RESULTS = [
    ("[doctor] your ekg was normal", "EKG normal.", "EKG abnormal."),
    ("[doctor] your lungs are clear", "Lungs clear to auscultation.", "Crackles in both lung bases."),
    ("[doctor] i hear some crackles at the bases", "Crackles at the lung bases.", "Lungs clear to auscultation."),
    (
        "[doctor] your urine test was positive for infection",
        "Urinalysis positive for infection.",
        "Urinalysis negative.",
    ),
    ("[doctor] the covid test was negative", "COVID test negative.", "COVID test positive."),
    ("[doctor] your strep test came back positive", "Rapid strep positive.", "Rapid strep negative."),
    (
        "[doctor] and you also have , uh , positive for strep",
        "Rapid strep test: positive.",
        "Rapid strep test: negative.",
    ),
    ("[doctor] the strep test was n't positive", "Rapid strep negative.", "Strep test positive."),
    ("[doctor] your pregnancy test is negative", "Negative pregnancy test.", "Positive pregnancy test."),
    ("[doctor] the chest x-ray is clear", "Chest x-ray clear.", "Chest x-ray abnormal."),
    ("[doctor] your x-ray looks fine no fracture", "X-ray negative for fracture.", "X-ray abnormal."),
    (
        "[doctor] so it 's essentially , a normal x-ray",
        "X-rays of the right lower extremity are normal.",
        "X-rays of the right lower extremity is abnormal, no fractures or dislocations.",
    ),
]
_RESULTS_FAITHFUL = [
    (
        "[doctor] your lungs are clear but i hear a few crackles at the right base",
        "Few crackles at the right lung base.",
    ),
    (
        "[doctor] your lungs are clear to auscultation bilaterally",
        "Lungs clear to auscultation bilaterally, no wheezes.",
    ),
    ("[patient] the cough started to clear up but i still wheeze at night", "Reports nighttime wheezing."),
    ("[doctor] the x-ray was negative for fracture but showed some arthritis", "X-ray showed arthritis, no fracture."),
    ("[doctor] your covid test was negative and your flu test was positive", "COVID negative; influenza positive."),
    (
        "[doctor] your ekg looks normal\n[doctor] the echo showed a low ejection fraction",
        "Echo abnormal with low ejection fraction; EKG normal.",
    ),
    ("[doctor] the urine test was positive for blood", "Urinalysis positive for blood."),
    (
        "[doctor] your labs were normal except a slightly high glucose",
        "Labs normal apart from mildly elevated glucose.",
    ),
    ("[doctor] the x-ray of your knee was normal\n[doctor] we 'll get an mri", "Knee x-ray normal. MRI ordered."),
    (
        "[doctor] we 'll get a pregnancy test to make sure it 's negative before the x-ray",
        "Pregnancy test ordered.",
    ),
    (
        "[doctor] your labs look good except your potassium is a little low",
        "Labs notable for low potassium; otherwise abnormal.",
    ),
]
# "okay now" is no question asked again: the next answer is its own
_EXAM_FAITHFUL += [
    (
        "[doctor] any chest pain\n[patient] no\n[doctor] okay now\n[patient] yeah i have some swelling in my ankles",
        "Denies chest pain. Reports ankle swelling.",
    ),
    (
        "[doctor] any chest pain\n[patient] no\n[doctor] okay now let 's take a look\n[patient] sure",
        "Denies chest pain.",
    ),
    (
        "[doctor] does this hurt when i press\n[patient] no\n[doctor] okay how about this one\n[patient] yes",
        "Tenderness to palpation.",
    ),
]
# where a pain goes, said without "radiate": "does the pain go anywhere?", "it travels down my leg"
_ROS += [
    (
        "[doctor] does the pain go anywhere\n[patient] no it stays right there",
        "The pain does not radiate.",
        "The pain radiates.",
    ),
    (
        "[doctor] does the pain travel down your leg\n[patient] yeah all the way to my foot",
        "Pain radiates down the leg to the foot.",
        "Pain does not radiate.",
    ),
]
_ROS_FAITHFUL += [
    (
        "[doctor] the medication takes a week and then it goes into effect\n[doctor] does the pain radiate\n[patient] no",
        "Pain does not radiate.",
    ),
    ("[patient] my back hurts\n[doctor] does it go away with rest\n[patient] yes", "Back pain resolves with rest."),
    ("[patient] my back pain it goes up and down", "Back pain fluctuates."),
    (
        "[doctor] did you go anywhere recently\n[patient] no\n[patient] the pain goes down my left arm",
        "Pain radiates to the left arm.",
    ),
]
# one reading of allergy talk for both allergy checks: a rash is an allergy word for "NKDA" too, and an answer to
# "any allergies to medications" (no question mark, as ACI writes it) names an allergy for "takes penicillin" too
_ALLERGIES += [
    (
        "[doctor] any allergies to medications\n[patient] penicillin\n[doctor] okay",
        "Allergic to penicillin.",
        "She takes penicillin daily.",
    ),
    (
        "[patient] amoxicillin gave me a rash all over\n[doctor] okay we 'll avoid that",
        "Amoxicillin causes a rash.",
        "No known drug allergies.",
    ),
]

# a medication reconciliation: a drug the visit goes on with written as new, or as raised or lowered
_ACTIONS += [
    (
        "[doctor] let 's continue the metformin five hundred milligrams twice a day",
        "Continue metformin 500 mg twice a day.",
        "Start metformin 500 mg twice a day.",
    ),
    (
        "[doctor] let 's just continue the prozac at twenty milligrams",
        "Continue Prozac 20 mg.",
        "Increase Prozac to 20 mg.",
    ),
    (
        "[doctor] we 'll continue the lisinopril at forty milligrams",
        "Continue lisinopril 40 mg.",
        "Decrease lisinopril to 40 mg.",
    ),
]
_ACTIONS_FAITHFUL += [
    # "increased" said of something else; a verb that belongs to the drug before, not to the one after
    (
        "[patient] i 've been using my albuterol inhaler a lot more\n[doctor] okay let 's continue the albuterol",
        "She has had an increased need to use her albuterol inhaler.",
    ),
    (
        "[doctor] we 'll start you on oxycodone for the pain\n[doctor] you can keep taking tylenol too",
        "He may continue to take Tylenol between the oxycodone doses.",
    ),
    (
        "[doctor] continue the lisinopril and the metformin",
        "Continue lisinopril and metformin.",
    ),
    ("[patient] i stopped taking the prilosec\n[doctor] okay", "She has stopped taking Prilosec altogether."),
    # a plan only hedged decides nothing; a restart goes on with the drug; a change said apart from the drug's name
    ("[doctor] if your pressure stays high we may need to increase the lisinopril", "Continue lisinopril."),
    ("[doctor] we 'll consider increasing the gabapentin if it does n't help", "Continue gabapentin."),
    ("[doctor] you should start taking your metformin again every day", "Continue metformin."),
    ("[doctor] i 'll prescribe your usual metformin\n[patient] thanks", "Continue metformin."),
    (
        "[doctor] i 'll send a refill for your lisinopril\n[doctor] and go up to twenty milligrams",
        "Increase lisinopril to 20 mg daily.",
    ),
    (
        "[patient] the pain has continued even with the ibuprofen 800\n[doctor] let 's bump up the dose to 800",
        "Increase ibuprofen to 800 mg.",
    ),
]

# a result said after its test is shown, without a sign word: only what is normal about it, or only what was found
_XRAY_SHOWN = (
    "[doctor] so this is an x-ray of your lumbar spine . you know , there's good bony , bony alignment . "
    "i do n't see any fracture or anything like that . so that's a good sign ."
)
_INFILTRATE = "[doctor] let's look at your chest x-ray . there is a small infiltrate in the right lower lobe ."
_RESULTS += [
    (_XRAY_SHOWN, "X-ray of the lumbar spine is unremarkable.", "X-ray of the lumbar spine is abnormal."),
    (
        "[doctor] and your last mammogram was in january 2021 ? and that was normal .",
        "Her mammogram in 01/2021 was normal.",
        "Her mammogram in 01/2021 was abnormal.",
    ),
    (_INFILTRATE, "Chest x-ray is abnormal.", "Chest x-ray is normal."),
]
_RESULTS_FAITHFUL += [
    (
        "[doctor] here's your knee x-ray . no fracture . there is some arthritis in the joint .",
        "Knee x-ray is abnormal.",
    ),
    (
        "[doctor] here's your knee x-ray . no fracture . there is some arthritis in the joint .",
        "Knee x-ray: no fracture.",
    ),
    ("[doctor] let's look at the mri . it shows a small tear of the meniscus .", "MRI abnormal: meniscal tear."),
    (
        "[doctor] let's look at your toe x-ray . it shows a large bone spur on the top of the joint .",
        "X-ray of the right great toe reveals a large bone spur.",
    ),
]

# eponymous signs as a physician says them: a positive one nobody named is invented; a result said after the sign
# ("mcmurray's test is negative", "homans sign that's negative") is that sign's
_SIGNS = [
    (
        "[doctor] okay negative murphy's sign no peritoneal signs no rebound",
        "Negative Murphy's sign.",
        "Positive Murphy's sign.",
    ),
    (
        "[doctor] looks like your mcmurray's test is negative just checking for a meniscus tear",
        "McMurray's test: negative.",
        "Positive McMurray's test.",
    ),
    (
        "[doctor] so you do have a bilateral positive tinel's sign so here's where i'm at",
        "Positive Tinel's sign bilaterally.",
        "Negative Tinel's sign.",
    ),
    ("[doctor] spurling's maneuver is benign .", "Spurling's maneuver is negative.", "Positive Spurling's maneuver."),
    ("[doctor] homans sign that's negative .", "Negative Homan's sign.", "Positive Homan's sign."),
    ("[doctor] your abdomen is soft , non-tender .\n[patient] okay .", "Abdomen soft.", "Positive Murphy's sign."),
    ("[doctor] let me check your knee .\n[patient] okay .", "Knee examined.", "McMurray's test is positive."),
    # "I have been tired" to "any cough?" tells of the tiredness: it no longer makes the cough said, so the "no" later
    # is the visit's only word on it
    (
        "[doctor] any cough ?\n[patient] i have been tired .\n[doctor] okay and have you been coughing at all ?"
        "\n[patient] no",
        "Denies cough.",
        "Reports cough.",
    ),
    (
        "[doctor] any fever ?\n[patient] i have had some chills .\n[doctor] and what about fever\n[patient] no",
        "Reports chills; denies fever.",
        "Reports fever.",
    ),
]
_SIGNS_FAITHFUL = [
    (
        "[doctor] your lachman your anterior and posterior drawer and mcmurray test are all negative bilaterally",
        "McMurray's test negative bilaterally.",
    ),
    ("[doctor] positive murphy sign .\n[patient] ouch .", "Positive Murphy's sign."),
    ("[doctor] tinel's sign so that's positive at the wrist .", "Tinel sign bilaterally."),
    ("[doctor] hi mister murphy how are you ?\n[patient] good .", "Matthew Murphy is a pleasant 20-year-old male."),
    # an answer that tells of its own symptom says nothing of the one asked about
    ("[doctor] any fever ?\n[patient] i have had some chills .", "Reports chills."),
    ("[doctor] any swelling ?\n[patient] i do have some swelling in my ankles .", "Reports ankle swelling."),
    ("[doctor] any cough ?\n[patient] i have been tired .\n[doctor] any cough ?\n[patient] no", "Denies cough."),
]
# sleep, swallowing and the bowels as a visit says them: "I can't sleep" is insomnia, "I sleep fine" denies it;
# "it hurts to swallow" is odynophagia; "any change in your bowel habits?" asks about one finding
_SLEEP = "[doctor] how are you sleeping ?\n[patient] "
_BODY_FUNCTIONS = [
    (_SLEEP + "i sleep fine .", "Denies insomnia.", "Reports insomnia."),
    (_SLEEP + "i sleep fine .", "Denies difficulty sleeping.", "Reports sleep disturbances."),
    (_SLEEP + "i ca n't sleep at all .", "Reports insomnia.", "Denies insomnia."),
    (
        "[patient] i have n't been able to sleep for weeks",
        "Reports difficulty sleeping.",
        "Denies difficulty sleeping.",
    ),
    ("[patient] i do n't sleep well since the pain started", "Reports poor sleep.", "Denies sleep disturbances."),
    (
        "[doctor] any trouble sleeping ?\n[patient] no i sleep like a baby .",
        "Denies insomnia.",
        "Reports trouble sleeping.",
    ),
    ("[doctor] any pain when you swallow ?\n[patient] no .", "Denies odynophagia.", "Reports odynophagia."),
    (
        "[doctor] does it hurt to swallow ?\n[patient] yes it does .",
        "Reports pain with swallowing.",
        "Denies odynophagia.",
    ),
    (
        "[doctor] any change in your bowel habits ?\n[patient] no .",
        "Denies change in bowel habits.",
        "Reports a change in bowel habits.",
    ),
    (
        "[doctor] any changes in your bowel movements ?\n[patient] nope everything is normal .",
        "No change in bowel habits.",
        "Reports change in bowel habits.",
    ),
]
_BODY_FUNCTIONS_FAITHFUL = [
    ("[patient] i sleep fine with the melatonin", "Reports insomnia, helped by melatonin."),
    ("[patient] my knee hurts when i sleep on it\n[doctor] okay", "Reports knee pain at night."),
    ("[patient] it hurts to swallow sometimes", "Reports odynophagia."),
    ("[patient] i 've had trouble sleeping because of the pain", "Reports difficulty sleeping due to pain."),
    (
        "[doctor] any changes in your bowel movements ?\n[patient] yeah they 've been looser",
        "Reports a change in bowel movements.",
    ),
]
# a score out of ten is what was answered to the scale question, on its scale: a number said of something else is no
# score ("four weeks"), and a score out of twenty is no score on a scale of ten
_RATED = (
    "[doctor] how bad is the pain on a scale of one to ten\n[patient] about a six\n"
    "[doctor] okay i 'll see you back in four weeks"
)
_RATED_TWO = (
    "[doctor] how would you rate your pain out of ten\n[patient] it 's a seven or eight without the medicine and a "
    "three with it\n[doctor] we 'll do two weeks of therapy"
)
_SCORES = [
    (_RATED, "She rates her pain as 6/10.", "She rates her pain as 4/10."),
    (_RATED, "Pain is 6 out of 10.", "Pain is 6 out of 20."),
    (_RATED_TWO, "Pain is 7-8/10 without medication and 3/10 with it.", "Pain 2/10 with medication."),
]
_SCORES_FAITHFUL = [
    (_RATED, "Follow up in 4 weeks."),
    (
        "[doctor] you have a two out of six systolic murmur\n[doctor] how is your pain out of ten\n[patient] a four",
        "Pain 4/10 and a 2/6 murmur.",
    ),
    (
        "[doctor] how is the pain on a scale of one to ten\n[patient] right now a four\n[doctor] and at its worst\n"
        "[patient] oh it 's like an eleven out of ten",
        "Pain 4/10, at worst 11/10.",
    ),
]
# a symptom only asked about, where the turn after says nothing to it ("okay coughing headache" - "ma'am": the "no" of
# "no ma'am" lost by the recogniser), is not there to be reported
_UNANSWERED = [
    (
        "[doctor] okay coughing headache\n[patient] ma'am",
        "Review of systems obtained.",
        "Reports cough.",
    ),
    ("[doctor] okay coughing headache\n[patient] ma'am", "A review of systems was done.", "Reports headaches."),
    ("[doctor] any fever\n[patient] i do n't know", "The patient was unsure.", "Reports fever."),
]
# answers without their subject ("haven't had one", "don't think so") and a part said to be fine say no
_UNANSWERED += [
    ("[doctor] how about fevers\n[patient] haven't had one", "Denies fever.", "Reports fever."),
    ("[doctor] how about fevers\n[patient] have n't had one", "Denies fevers.", "Reports fever."),
    ("[doctor] any cough\n[patient] don't think so", "Denies cough.", "Reports cough."),
    ("[doctor] any abdominal pain\n[patient] my belly feels fine", "Denies abdominal pain.", "Reports abdominal pain."),
]
_UNANSWERED_FAITHFUL = [
    ("[doctor] any knee pain\n[patient] my back is fine", "Reports knee pain."),
    ("[doctor] any knee pain\n[patient] my back is fine but the knee hurts", "Reports knee pain."),
    (
        "[doctor] any knee pain\n[patient] my knee feels fine except when i climb stairs",
        "Reports knee pain with stairs.",
    ),
    ("[doctor] any pain\n[patient] doesn't stop hurting", "Reports pain."),
]
# the pain's own "it doesn't go anywhere" denies that it radiates; a bowel habit said to be normal answers no
_UNANSWERED += [
    (
        "[patient] the pain does n't go anywhere it stays in my knee",
        "The pain does not radiate.",
        "The pain radiates.",
    ),
    (
        "[patient] my back hurts but it doesn't go down my leg",
        "The pain does not radiate.",
        "Pain radiates down the leg.",
    ),
    (
        "[doctor] any diarrhea or constipation\n[patient] my bowels are normal",
        "Denies diarrhea or constipation.",
        "Reports constipation.",
    ),
]
_UNANSWERED_FAITHFUL += [
    (
        "[patient] i did n't go anywhere this weekend\n[patient] my back pain shoots down my leg",
        "Back pain radiates down the leg.",
    ),
]
_UNANSWERED_FAITHFUL += [
    ("[doctor] okay coughing headache\n[patient] ma'am", "Denies cough."),
    ("[doctor] any fever\n[patient] ma'am\n[patient] yes i had a fever", "Reports fever."),
    ("[doctor] any fever\n[patient] okay\n[doctor] so you have a fever", "Reports fever."),
    ("[doctor] what about bruising ?\n[patient] um , a little bit on the back end .", "She developed mild bruising."),
]
# each group: (visit, what a faithful note says, what a wrong one says), and more faithful pairs beside it
_BY_QUESTION = [
    (_ROS, _ROS_FAITHFUL),
    (_FINE, _FINE_FAITHFUL),
    (_EXAM, _EXAM_FAITHFUL),
    (_CONDITIONS, _CONDITIONS_FAITHFUL),
    (_TOBACCO, _TOBACCO_FAITHFUL),
    (_ALLERGIES, _ALLERGIES_FAITHFUL),
    (_ACTIONS, _ACTIONS_FAITHFUL),
    (_RESULTS, _RESULTS_FAITHFUL),
    (_SIGNS, _SIGNS_FAITHFUL),
    (_BODY_FUNCTIONS, _BODY_FUNCTIONS_FAITHFUL),
    (_SCORES, _SCORES_FAITHFUL),
    (_UNANSWERED, _UNANSWERED_FAITHFUL),
]
REVIEW_BY_QUESTION_THE_SAME = [(visit, said) for group, _ in _BY_QUESTION for visit, said, _ in group] + [
    pair for _, faithful in _BY_QUESTION for pair in faithful
]

REVIEW_BY_QUESTION_OTHERWISE = [(visit, other) for group, _ in _BY_QUESTION for visit, _, other in group] + [
    (
        "[doctor] do you get short of breath when you lie flat\n[patient] no only when i walk up stairs",
        "Reports orthopnea.",
    ),
    (
        "[doctor] do you get short of breath when you lie flat\n[patient] no only when i walk up stairs",
        "Denies dyspnea.",
    ),
]

FAITHFUL = (
    SAYS_THE_SAME
    + SAME_NUMBER
    + MEDICINES_THE_SAME
    + EXAM_THE_SAME
    + PLAN_AND_MEASURES_THE_SAME
    + HEDGES_THE_SAME
    + SYMPTOM_NAMES_THE_SAME
    + WEIGHTS_AND_LEVELS_THE_SAME
    + PLACES_THE_SAME
    + FREQUENCIES_THE_SAME
    + RESULTS_THE_SAME
    + THEN_AND_NOW_THE_SAME
    + IDIOMS_THE_SAME
    + COUNTS_THE_SAME
    + STOPPED_THE_SAME
    + AS_TRANSCRIBED_THE_SAME
    + SHORT_ANSWERS_AGREE
    + WHEN_THE_SAME
    + ON_ANOTHER_PART_THE_SAME
    + SPOKEN_NUMBERS_THE_SAME
    + MAY_HAPPEN_THE_SAME
    + VALUES_THE_SAME
    + IN_THE_PAST_THE_SAME
    + IN_THEIR_WORDS_THE_SAME
    + ON_A_CONDITION_THE_SAME
    + REVIEW_OF_SYSTEMS_THE_SAME
    + AS_SPLIT_THE_SAME
    + HOW_LONG_THE_SAME
    + CONSCIOUSNESS_THE_SAME
    + RANGES_THE_SAME
    + SAYING_NO_THE_SAME
    + REPORTED_THE_SAME
    + SIDES_THE_SAME
    + HEART_THE_SAME
    + REVIEW_BY_QUESTION_THE_SAME
)
WRONG = (
    SAYS_OTHERWISE
    + MEDICINES_OTHERWISE
    + EXAM_OTHERWISE
    + PLAN_AND_MEASURES_OTHERWISE
    + HEDGES_OTHERWISE
    + WEIGHTS_OTHERWISE
    + PLACES_OTHERWISE
    + FREQUENCIES_OTHERWISE
    + RESULTS_OTHERWISE
    + THEN_AND_NOW_OTHERWISE
    + IDIOMS_OTHERWISE
    + DENIALS_MADE_PRESENT
    + STOPPED_OTHERWISE
    + AS_TRANSCRIBED_OTHERWISE
    + SHORT_ANSWERS_SAY_YES
    + SHORT_ANSWERS_SAY_NO
    + WHEN_OTHERWISE
    + ON_THE_SAME_PART_OTHERWISE
    + SPOKEN_NUMBERS_OTHERWISE
    + MAY_HAPPEN_OTHERWISE
    + VALUES_OTHERWISE
    + REPORTED_WRITTEN_AS_DENIED
    + ON_A_CONDITION_OTHERWISE
    + IN_THE_PAST_OTHERWISE
    + REVIEW_OF_SYSTEMS_OTHERWISE
    + AS_SPLIT_OTHERWISE
    + HOW_LONG_OTHERWISE
    + CONSCIOUSNESS_OTHERWISE
    + RANGES_OTHERWISE
    + SAYING_NO_OTHERWISE
    + REPORTED_OTHERWISE
    + SIDES_OTHERWISE
    + HEART_OTHERWISE
    + REVIEW_BY_QUESTION_OTHERWISE
)


@pytest.mark.parametrize(("visit", "statement"), FAITHFUL)
def test_a_faithful_paraphrase_raises_no_safety_flag(visit, statement):
    assert _flags(visit, statement) == []


@pytest.mark.parametrize(("visit", "statement"), WRONG)
def test_a_paraphrase_that_says_the_opposite_is_flagged(visit, statement):
    assert _flags(visit, statement) != []
