"""Synthetic release inputs with planted PHI: the demo, the integration tests and the
end-to-end benchmark all use this.

Each patient gets studies of several modalities whose headers carry PHI everywhere an
attacker would look (standard attributes, free-text descriptors, sequences nested three
deep, private tags in LO and UN VRs), burned-in text in the pixels, a French radiology
report full of identifiers, and a clinical CSV row. Folder names hold patient names, as
they do in real exports. ``planted_values`` lists every identifying value in the spellings a
leak scan must look for.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import generate_uid

from tasks.synthetic.images import PlantedText, make_image, save

LAST_NAMES = [
    "DUPONT",
    "MARTIN",
    "LEFEVRE",
    "MOREAU",
    "GARNIER",
    "FAURE",
    "ROUSSEL",
    "BLANCHARD",
    "GUERIN",
    "BOYER",
    "CHEVALIER",
    "FONTAINE",
    "MERCIER",
    "BONNET",
    "LAMBERT",
    "ROUX",
]
FIRST_NAMES = [
    "Jean",
    "Marie",
    "Pierre",
    "Claire",
    "Luc",
    "Sophie",
    "Antoine",
    "Camille",
    "Henri",
    "Juliette",
    "Marc",
    "Elodie",
    "Paul",
    "Agathe",
    "Yves",
    "Margaux",
]
SITES = [
    ("CHU de Lille", "2 avenue Oscar Lambret, 59000 Lille"),
    ("Clinique Saint-Roch", "12 rue des Tanneurs, 34000 Montpellier"),
    ("Hôpital Nord-Ouest", "58 rue Marie Curie, 69400 Villefranche"),
]
MODALITIES = [("CT", 3, 1), ("CR", 1, 1), ("US", 1, 3), ("MR", 2, 1)]  # modality, files, frames
PRIVATE_CREATOR = "ACME MEDICAL 1.0"


@dataclass
class DemoPatient:
    last: str
    first: str
    patient_id: str
    birth_date: str  # YYYYMMDD
    sex: str
    accession: str
    study_date: str
    site: tuple[str, str]
    physician: str

    def spellings(self) -> list[str]:
        return [
            f"{self.last}^{self.first}",
            f"{self.first} {self.last}",
            f"{self.last} {self.first}",
            self.last,
            self.patient_id,
            self.accession,
            self.birth_date,
            self.study_date,
            f"{self.study_date[6:]}/{self.study_date[4:6]}/{self.study_date[:4]}",
            f"{self.birth_date[6:]}/{self.birth_date[4:6]}/{self.birth_date[:4]}",
            self.physician,
        ]


@dataclass
class DemoSet:
    dicom: Path
    reports: Path
    clinical: Path
    patients: list[DemoPatient] = field(default_factory=list)
    original_uids: list[str] = field(default_factory=list)
    study_uids: list[str] = field(default_factory=list)
    junk_files: int = 0
    dicom_files: int = 0
    # input file -> the lines burned into its pixels, with their ink boxes: the ground truth
    # a test checks released pixels against (independently of the detector)
    planted_text: dict[Path, list[PlantedText]] = field(default_factory=dict)

    def planted_values(self) -> list[str]:
        values = {v for p in self.patients for v in p.spellings()}
        values |= {site for p in self.patients for site in p.site}
        values |= set(self.original_uids)
        return sorted(v for v in values if len(v) >= 4)


def _patient(rng: random.Random, index: int) -> DemoPatient:
    year = rng.randint(1935, 2002)
    return DemoPatient(
        last=LAST_NAMES[index % len(LAST_NAMES)] + ("" if index < len(LAST_NAMES) else f"-{index}"),
        first=FIRST_NAMES[(index * 7 + 3) % len(FIRST_NAMES)],
        patient_id=f"IPP{rng.randint(10**7, 10**8 - 1)}",
        birth_date=f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        sex=rng.choice("MF"),
        accession=f"ACC{rng.randint(10**6, 10**7 - 1)}",
        study_date=f"2021{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
        site=SITES[index % len(SITES)],
        physician=rng.choice(["LEFEBVRE^Paul^^Dr", "NGUYEN^Anne^^Dr", "PETIT^Louis^^Pr"]),
    )


def _plant_header(ds: Dataset, p: DemoPatient, study_uid: str, series_uid: str, n: int) -> None:
    ds.PatientName = f"{p.last}^{p.first}"
    ds.PatientID = p.patient_id
    ds.IssuerOfPatientID = "CHU-IPP"
    ds.PatientBirthDate = p.birth_date
    ds.PatientSex = p.sex
    ds.PatientAge = f"{int(p.study_date[:4]) - int(p.birth_date[:4]):03d}Y"
    ds.OtherPatientIDs = p.patient_id.replace("IPP", "NIP")
    ds.AccessionNumber = p.accession
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyID = p.accession[-4:]
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = p.study_date
    ds.StudyTime = "101530"
    ds.InstanceNumber = n
    ds.SeriesNumber = 1
    ds.InstitutionName, ds.InstitutionAddress = p.site
    ds.ReferringPhysicianName = p.physician
    ds.OperatorsName = "BERNARD^Lucie"
    ds.StationName = "CT-LILLE-02"
    ds.DeviceSerialNumber = "SN-884213"
    ds.Manufacturer = "SIEMENS"
    ds.ManufacturerModelName = "SOMATOM Force"
    ds.SoftwareVersions = "VB20A"
    ds.BodyPartExamined = "CHEST"
    ds.StudyDescription = f"THORAX {p.last} {p.first}"
    ds.SeriesDescription = "Axial 1mm"
    ds.ImageComments = f"Patient {p.first} {p.last} IPP {p.patient_id} vu le {p.study_date}"
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[study_uid, "for"])
    # three levels of nesting, identifiers at every level
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator = "RPID1", "LOCAL"
    code.CodeMeaning = f"Thorax {p.last}"
    step = Dataset()
    step.ScheduledProcedureStepDescription = f"Scanner pour {p.first} {p.last}"
    step.ScheduledProtocolCodeSequence = Sequence([code])
    request = Dataset()
    request.RequestedProcedureID = p.accession
    request.AccessionNumber = p.accession
    request.ScheduledProtocolCodeSequence = Sequence([code])
    request.RequestAttributesSequence = Sequence([step])
    ds.RequestAttributesSequence = Sequence([request])
    referenced = Dataset()
    referenced.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    referenced.ReferencedSOPInstanceUID = study_uid
    ds.ReferencedStudySequence = Sequence([referenced])
    # private tags: a name in an LO, an ID in an UN
    block = ds.private_block(0x0029, PRIVATE_CREATOR, create=True)
    block.add_new(0x10, "LO", f"{p.last}^{p.first}")
    raw_id = p.patient_id.encode("ascii")
    block.add_new(0x11, "UN", raw_id + b"\x00" * (len(raw_id) % 2))  # values have even length


def _report(p: DemoPatient, rng: random.Random) -> str:
    age = int(p.study_date[:4]) - int(p.birth_date[:4])
    title = "M." if p.sex == "M" else "Mme"
    d = f"{p.study_date[6:]}/{p.study_date[4:6]}/{p.study_date[:4]}"
    doctor = p.physician.split("^")
    return (
        f"{p.site[0]} - Service d'imagerie\n{p.site[1]}\nTél. : 03 20 44 59 62\n\n"
        f"Compte rendu de scanner thoracique du {d}\n"
        f"Patient : {title} {p.last} {p.first}, né(e) le "
        f"{p.birth_date[6:]}/{p.birth_date[4:6]}/{p.birth_date[:4]} ({age} ans)\n"
        f"IPP : {p.patient_id}  N° examen : {p.accession}\n\n"
        "Cher Confrère,\n"
        f"Je vous remercie de m'avoir adressé {title} {p.last} pour bilan de toux.\n"
        "Technique : acquisition hélicoïdale sur SIEMENS SOMATOM Force, sans injection.\n"
        "Résultats : opacités en verre dépoli du lobe inférieur droit, 12 mm. "
        "Pas d'épanchement pleural.\n"
        "Conclusion : aspect compatible avec une pneumopathie virale, atteinte estimée à 25 %.\n\n"
        f"Dr {doctor[1]} {doctor[0].capitalize()}\n"
    )


def build_demo(
    root: Path, patients: int = 12, seed: int = 7, image_size: int = 256, with_junk: bool = True
) -> DemoSet:
    """Write DICOM tree, reports folder and clinical CSV under ``root``."""
    rng = random.Random(seed)
    demo = DemoSet(root / "dicom", root / "reports", root / "clinical.csv")
    demo.reports.mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(patients):
        p = _patient(rng, index)
        demo.patients.append(p)
        study_uid = generate_uid(entropy_srcs=[str(seed), "study", str(index)])
        demo.original_uids.append(study_uid)
        demo.study_uids.append(study_uid)
        for modality, files, frames in MODALITIES:
            series_uid = generate_uid(entropy_srcs=[str(seed), "series", str(index), modality])
            demo.original_uids.append(series_uid)
            folder = demo.dicom / f"{p.last} {p.first}" / f"{p.study_date} {modality}"
            for n in range(1, files + 1):
                lines = [f"{p.last}^{p.first}", p.patient_id, p.study_date, p.site[0][:14]]
                ds, planted = make_image(
                    modality, image_size, lines, frames=frames, seed=seed * 1000 + index * 10 + n
                )
                _plant_header(ds, p, study_uid, series_uid, n)
                demo.original_uids.append(str(ds.SOPInstanceUID))
                save(ds, folder / f"IM{n:04d}")
                demo.planted_text[folder / f"IM{n:04d}"] = planted
                demo.dicom_files += 1
        (demo.reports / f"{p.accession}.txt").write_text(_report(p, rng), encoding="utf-8")
        rows.append(
            [
                p.accession,
                p.patient_id,
                p.sex,
                p.study_date,
                "pneumopathie",
                f"suivi par Dr {p.physician.split('^')[0]}",
            ]
        )
    with open(demo.clinical, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["AccessionNumber", "PatientID", "sex", "admission_date", "diagnosis", "comment"]
        )
        writer.writerows(rows)
        if with_junk:
            writer.writerow(["ACC0000000", "IPP00000000", "F", "20210101", "inconnu", ""])
    if with_junk:
        (demo.dicom / "LISEZMOI.txt").write_text("Export PACS du service, ne pas diffuser.\n")
        first = next(demo.dicom.rglob("IM0001"))
        data = first.read_bytes()
        (first.parent / "IM9999").write_bytes(data[: len(data) // 2])  # truncated copy
        (demo.reports / "ACC0000000.txt").write_text("Compte rendu sans examen associé.\n")
        demo.junk_files = 3
    return demo
