"""Generates the inputs of benches/import_vs_sqlite3.sh in a folder:

- results.csv: N observations as a long CSV (10 measures per entry, weekly
  entries, 10 entries per patient), as a lab portal would export them;
- patients.sql: the patients, for both sides;
- rows.sql: the same entries and observations as SQL for the sqlite3 shell,
  in one transaction.
"""

import random
import sys
from datetime import date, timedelta

n = int(sys.argv[1])
out = sys.argv[2]
random.seed(7)
# code, LOINC, unit, low, high, typical, decimals
MEASURES = [
    ("bili_total", "1975-2", "mg/dL", "0.1", "1.2", 2.0, 2),
    ("bili_direct", "1968-7", "mg/dL", "0.0", "0.3", 0.8, 2),
    ("alt", "1742-6", "U/L", "7", "55", 60, 0),
    ("ast", "1920-8", "U/L", "8", "48", 70, 0),
    ("alp", "6768-6", "U/L", "40", "130", 150, 0),
    ("ggt", "2324-2", "U/L", "0", "65", 90, 0),
    ("albumin", "1751-7", "g/dL", "3.5", "5.0", 3.2, 1),
    ("inr", "6301-6", "{INR}", "0.8", "1.2", 1.3, 2),
    ("creatinine", "2160-0", "mg/dL", "0.7", "1.3", 1.0, 2),
    ("sodium", "2951-2", "mmol/L", "135", "145", 138, 0),
]
per_entry = len(MEASURES)
entries = (n + per_entry - 1) // per_entry
per_patient = 10
patients = (entries + per_patient - 1) // per_patient
start = date(2024, 1, 1)
# The demo patient is id 1; ids are given so the shell needs no lookups.
PATIENT_ID0 = 1000

with open(f"{out}/patients.sql", "w") as f:
    f.write("BEGIN;\n")
    for p in range(patients):
        f.write(
            "INSERT INTO patients (id, mrn, name, birth_date, sex, enrolled, created_at) "
            f"VALUES ({p + PATIENT_ID0}, 'B{p:06d}', 'Bench {p}', '1960-01-01', 'female', '2024-01-01', '2024-01-01T00:00:00Z');\n"
        )
    f.write("COMMIT;\n")

with open(f"{out}/results.csv", "w") as csv, open(f"{out}/rows.sql", "w") as sql:
    csv.write("mrn,date,loinc,test,value,unit,reference_low,reference_high\n")
    sql.write("BEGIN;\n")
    written = 0
    entry_id = 1000
    for e in range(entries):
        p = e // per_patient
        d = start + timedelta(days=7 * (e % per_patient))
        entry_id += 1
        sql.write(
            "INSERT INTO entries (id, patient_id, collected_on, note, recorded_by, recorded_at) "
            f"VALUES ({entry_id}, {p + PATIENT_ID0}, '{d}', '', 'bench', "
            "'2025-01-01T00:00:00Z');\n"
        )
        total = 0.0
        for code, loinc, unit, low, high, typical, dec in MEASURES:
            if written == n:
                break
            written += 1
            x = typical * random.uniform(0.5, 1.5)
            if code == "sodium":
                x = typical * random.uniform(0.93, 1.07)  # sodium barely moves
            if code == "bili_total":
                total = x
            if code == "bili_direct":
                x = total * random.uniform(0.2, 0.7)  # a part of the total
            v = f"{x:.{dec}f}"
            csv.write(f"B{p:06d},{d},{loinc},{code},{v},{unit},{low},{high}\n")
            sql.write(
                "INSERT INTO observations (entry_id, entry_version, patient_id, collected_on, measure_code, kind, "
                "value_text, value, unit, ref_low, ref_high, ref_source, flag, ref_unit) "
                f"VALUES ({entry_id}, 1, {p + PATIENT_ID0}, '{d}', '{code}', "
                f"'lab', '{v}', {v}, '{unit}', '{low}', '{high}', 'report', '', '{unit}');\n"
            )
    sql.write("COMMIT;\n")
