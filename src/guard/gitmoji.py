"""The gitmoji set (gitmoji.dev, data of the `gitmojis` npm package 3.15.0): emoji, :code:,
description. Pure data; the emoji are escaped so the source stays ASCII."""

from __future__ import annotations

VARIATION_SELECTOR = "\ufe0f"

GITMOJIS: tuple[tuple[str, str, str], ...] = (
    ("\U0001f3a8", ":art:", "Improve structure / format of the code."),
    ("\u26a1\ufe0f", ":zap:", "Improve performance."),
    ("\U0001f525", ":fire:", "Remove code or files."),
    ("\U0001f41b", ":bug:", "Fix a bug."),
    ("\U0001f691\ufe0f", ":ambulance:", "Critical hotfix."),
    ("\u2728", ":sparkles:", "Introduce new features."),
    ("\U0001f4dd", ":memo:", "Add or update documentation."),
    ("\U0001f680", ":rocket:", "Deploy stuff."),
    ("\U0001f484", ":lipstick:", "Add or update the UI and style files."),
    ("\U0001f389", ":tada:", "Begin a project."),
    ("\u2705", ":white_check_mark:", "Add, update, or pass tests."),
    ("\U0001f512\ufe0f", ":lock:", "Fix security or privacy issues."),
    ("\U0001f510", ":closed_lock_with_key:", "Add or update secrets."),
    ("\U0001f516", ":bookmark:", "Release / Version tags."),
    ("\U0001f6a8", ":rotating_light:", "Fix compiler / linter warnings."),
    ("\U0001f6a7", ":construction:", "Work in progress."),
    ("\U0001f49a", ":green_heart:", "Fix CI Build."),
    ("\u2b07\ufe0f", ":arrow_down:", "Downgrade dependencies."),
    ("\u2b06\ufe0f", ":arrow_up:", "Upgrade dependencies."),
    ("\U0001f4cc", ":pushpin:", "Pin dependencies to specific versions."),
    ("\U0001f477", ":construction_worker:", "Add or update CI build system."),
    ("\U0001f4c8", ":chart_with_upwards_trend:", "Add or update analytics or track code."),
    ("\u267b\ufe0f", ":recycle:", "Refactor code."),
    ("\u2795", ":heavy_plus_sign:", "Add a dependency."),
    ("\u2796", ":heavy_minus_sign:", "Remove a dependency."),
    ("\U0001f527", ":wrench:", "Add or update configuration files."),
    ("\U0001f528", ":hammer:", "Add or update development scripts."),
    ("\U0001f310", ":globe_with_meridians:", "Internationalization and localization."),
    ("\u270f\ufe0f", ":pencil2:", "Fix typos."),
    ("\U0001f4a9", ":poop:", "Write bad code that needs to be improved."),
    ("\u23ea\ufe0f", ":rewind:", "Revert changes."),
    ("\U0001f500", ":twisted_rightwards_arrows:", "Merge branches."),
    ("\U0001f4e6\ufe0f", ":package:", "Add or update compiled files or packages."),
    ("\U0001f47d\ufe0f", ":alien:", "Update code due to external API changes."),
    ("\U0001f69a", ":truck:", "Move or rename resources (e.g.: files, paths, routes)."),
    ("\U0001f4c4", ":page_facing_up:", "Add or update license."),
    ("\U0001f4a5", ":boom:", "Introduce breaking changes."),
    ("\U0001f371", ":bento:", "Add or update assets."),
    ("\u267f\ufe0f", ":wheelchair:", "Improve accessibility."),
    ("\U0001f4a1", ":bulb:", "Add or update comments in source code."),
    ("\U0001f37b", ":beers:", "Write code drunkenly."),
    ("\U0001f4ac", ":speech_balloon:", "Add or update text and literals."),
    ("\U0001f5c3\ufe0f", ":card_file_box:", "Perform database related changes."),
    ("\U0001f50a", ":loud_sound:", "Add or update logs."),
    ("\U0001f507", ":mute:", "Remove logs."),
    ("\U0001f465", ":busts_in_silhouette:", "Add or update contributor(s)."),
    ("\U0001f6b8", ":children_crossing:", "Improve user experience / usability."),
    ("\U0001f3d7\ufe0f", ":building_construction:", "Make architectural changes."),
    ("\U0001f4f1", ":iphone:", "Work on responsive design."),
    ("\U0001f921", ":clown_face:", "Mock things."),
    ("\U0001f95a", ":egg:", "Add or update an easter egg."),
    ("\U0001f648", ":see_no_evil:", "Add or update a .gitignore file."),
    ("\U0001f4f8", ":camera_flash:", "Add or update snapshots."),
    ("\u2697\ufe0f", ":alembic:", "Perform experiments."),
    ("\U0001f50d\ufe0f", ":mag:", "Improve SEO."),
    ("\U0001f3f7\ufe0f", ":label:", "Add or update types."),
    ("\U0001f331", ":seedling:", "Add or update seed files."),
    ("\U0001f6a9", ":triangular_flag_on_post:", "Add, update, or remove feature flags."),
    ("\U0001f945", ":goal_net:", "Catch errors."),
    ("\U0001f4ab", ":dizzy:", "Add or update animations and transitions."),
    ("\U0001f5d1\ufe0f", ":wastebasket:", "Deprecate code that needs to be cleaned up."),
    ("\U0001f6c2", ":passport_control:", "Work on code related to authorization, roles and permissions."),
    ("\U0001fa79", ":adhesive_bandage:", "Simple fix for a non-critical issue."),
    ("\U0001f9d0", ":monocle_face:", "Data exploration/inspection."),
    ("\u26b0\ufe0f", ":coffin:", "Remove dead code."),
    ("\U0001f9ea", ":test_tube:", "Add a failing test."),
    ("\U0001f454", ":necktie:", "Add or update business logic."),
    ("\U0001fa7a", ":stethoscope:", "Add or update healthcheck."),
    ("\U0001f9f1", ":bricks:", "Infrastructure related changes."),
    ("\U0001f9d1\u200d\U0001f4bb", ":technologist:", "Improve developer experience."),
    ("\U0001f4b8", ":money_with_wings:", "Add sponsorships or money related infrastructure."),
    ("\U0001f9f5", ":thread:", "Add or update code related to multithreading or concurrency."),
    ("\U0001f9ba", ":safety_vest:", "Add or update code related to validation."),
    ("\u2708\ufe0f", ":airplane:", "Improve offline support."),
)

# emoji without its variation selector -> :code:, and :code: -> emoji
BY_EMOJI = {e.replace(VARIATION_SELECTOR, ""): c for e, c, _ in GITMOJIS}
BY_CODE = {c: e for e, c, _ in GITMOJIS}
WIP_CODES = frozenset({":construction:"})      # "Work in progress"


def split_gitmoji(header: str) -> tuple[str | None, str]:
    """(the :code: of the leading gitmoji, the rest of the header) or (None, header)."""
    if header.startswith(":"):
        end = header.find(":", 1)
        if end > 1 and header[:end + 1] in BY_CODE:
            return header[:end + 1], header[end + 1:]
        return None, header
    # longest emoji first (some are several code points, e.g. the technologist)
    plain = header.replace(VARIATION_SELECTOR, "", 4)
    for size in (3, 2, 1):
        head = plain[:size]
        if head in BY_EMOJI:
            consumed, seen = 0, 0
            while seen < size and consumed < len(header):   # map back onto the raw header
                if header[consumed] != VARIATION_SELECTOR:
                    seen += 1
                consumed += 1
            while consumed < len(header) and header[consumed] == VARIATION_SELECTOR:
                consumed += 1
            return BY_EMOJI[head], header[consumed:]
    return None, header


def leading_emoji(header: str) -> str:
    """The emoji a header starts with, whether gitmoji has it or not ("" when none): the
    leading run of pictographic symbols, with their joiners and variation selectors."""
    import unicodedata
    end = 0
    while end < len(header):
        ch = header[end]
        if ch in (VARIATION_SELECTOR, "\u200d") or (
                ord(ch) > 0x2000 and unicodedata.category(ch) == "So"):
            end += 1
        else:
            break
    return header[:end]
