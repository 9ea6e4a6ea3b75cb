"""Every event sample in events/ fits its JSON Schema, and every schema has a sample.

Run by scripts/test.sh with the project's virtualenv (jsonschema is pinned there).
The Rust side (crates/domain) checks that the same samples parse into its events.
"""
import json
import pathlib

import jsonschema
import pytest

EVENTS = pathlib.Path(__file__).resolve().parent.parent / "events"
SCHEMAS = sorted((EVENTS / "schemas").glob("*.schema.json"))


def test_there_are_schemas():
    assert SCHEMAS


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=lambda p: p.name)
def test_each_sample_detail_fits_its_schema(schema_path):
    detail_type = schema_path.name.removesuffix(".schema.json")
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    sample = json.loads((EVENTS / f"{detail_type}.json").read_text())
    assert sample["detail-type"] == detail_type
    assert sample["source"] == "pt4c"
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(sample["detail"])


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=lambda p: p.name)
def test_schemas_refuse_personal_data_fields(schema_path):
    schema = json.loads(schema_path.read_text())
    assert schema.get("additionalProperties") is False
    sample = json.loads((EVENTS / f"{schema_path.name.removesuffix('.schema.json')}.json").read_text())
    detail = dict(sample["detail"], email="alex@example.com")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(detail)
