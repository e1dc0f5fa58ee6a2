"""Validates FHIR R4 JSON files with fhir.resources 6.4.0 (pydantic 1 models
of R4). Prints one line per file that fails; exits 1 when any does.
Usage: python fhir_resources.py FILE...
"""
import json
import sys

from fhir.resources import construct_fhir_element

failed = 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    try:
        construct_fhir_element(data["resourceType"], data)
    except Exception as e:  # pydantic.ValidationError, KeyError, ...
        failed += 1
        print(f"{path}: fhir.resources: {e}")
print("valid" if failed == 0 else f"{failed} file(s) invalid")
sys.exit(1 if failed else 0)
