"""The recipient's data dictionary says how to read generalised values, and agrees with what
the header stage writes and with the DPO's release card."""

from __future__ import annotations

import re
from pathlib import Path

from flows.dpo_gate import release_card
from tasks.config.profile import load_profile
from tasks.config.request import load_request
from tasks.headers.generalise import PATIENT_AGE, generalised_values
from tasks.publish.release_description import age_bands, data_dictionary, granularity
from tests.conftest import write_request

PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def _band_of(dictionary: str, code: str) -> tuple[int, int | None]:
    row = re.search(rf"\| `{code}` \| (\d+)(?:–(\d+)| and over) years \|", dictionary)
    assert row, code
    return int(row.group(1)), int(row.group(2)) if row.group(2) else None


def test_every_age_the_header_stage_writes_is_read_as_the_band_holding_it() -> None:
    fidac = load_profile(PROFILES / "fidac.yaml")
    headers = fidac.section("headers")
    dictionary = data_dictionary(fidac)
    assert "read it as the band, never as the patient's age" in dictionary
    for years in (0, 4, 17, 18, 29, 30, 47, 64, 65, 79, 80, 101):
        code = generalised_values(headers, f"{years:03d}Y", "", "", "", "")[PATIENT_AGE]
        low, high = _band_of(dictionary, code)
        assert low <= years and (high is None or years <= high), (years, code)
    codes = [code for code, _ in age_bands(headers)]
    assert codes[0] == "000Y" and codes == sorted(codes)


def test_without_age_bands_there_is_no_band_table() -> None:
    basic = load_profile(PROFILES / "basic.yaml")
    assert "holds an age band" not in data_dictionary(basic)


def test_the_dictionary_and_the_release_card_describe_the_same_granularity(tmp_path) -> None:
    fidac = load_profile(PROFILES / "fidac.yaml")
    card = release_card(load_request(write_request(tmp_path)), fidac, {"instances": 3})
    dictionary = data_dictionary(fidac)
    for what, how in granularity(fidac):
        assert f"| {what} | {how} |" in dictionary
        assert f"| {what} | {how.replace('|', chr(92) + '|')} |" in card
    if fidac.section("headers").body_part_groups:
        assert "holds a group" in dictionary
