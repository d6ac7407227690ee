#!/usr/bin/python3
"""doxygen_filter_test: scripts/doxygen-filter turns the headers' `//` comments into the Doxygen
comments `make docs` reads. Each case is one rule whose breakage put a comment on the wrong entity
or showed escaping in the API reference without any doxygen warning (so `make docs` alone cannot
catch it). No doxygen needed.

Run by ctest (labels `unit;docs`): doxygen_filter_test.py --source DIR.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE = None


def run_filter(text):
    with tempfile.NamedTemporaryFile("w", suffix=".hpp", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        return subprocess.run([os.path.join(SOURCE, "scripts", "doxygen-filter"), path], check=True,
                              capture_output=True, text=True).stdout
    finally:
        os.unlink(path)


class DoxygenFilterTest(unittest.TestCase):
    def test_a_trailing_comment_continued_below_stays_with_its_member(self):
        out = run_filter("struct S {\n"
                         "  bool a = true;  // first line of a's text\n"
                         "                  // second line of a's text\n"
                         "  bool b = false;  // b's text\n"
                         "};\n").splitlines()
        self.assertEqual(out[1], "  bool a = true;  /**< first line of a's text")
        self.assertEqual(out[2], "                     second line of a's text */")
        self.assertEqual(out[3], "  bool b = false;  /**< b's text */")

    def test_a_comment_line_in_another_column_documents_the_next_member(self):
        out = run_filter("struct S {\n"
                         "  int a = 0;  // a's text\n"
                         "  // b's text\n"
                         "  int b = 0;\n"
                         "};\n").splitlines()
        self.assertEqual(out[1], "  int a = 0;  /**< a's text */")
        self.assertEqual(out[2], "  /// b's text")

    def test_a_section_note_followed_by_a_blank_line_documents_nothing(self):
        out = run_filter("int x;\n"
                         "// ---- A section note.\n"
                         "// Its second line.\n"
                         "\n"
                         "// What f does.\n"
                         "int f();\n").splitlines()
        self.assertEqual(out[1:4], ["// ---- A section note.", "// Its second line.", ""])
        self.assertEqual(out[4], "/// What f does.")

    def test_angle_brackets_are_escaped_only_in_plain_text(self):
        out = run_filter('int x;\n// plain <word>, "quoted <id>" and `code <id>`.\nint f();\n')
        self.assertEqual(out.splitlines()[1], '/// plain \\<word\\>, "quoted <id>" and `code <id>`.')

    def test_two_dashes_stay_two_dashes_in_plain_text(self):
        out = run_filter('int x;\n// crewctl --listen, "q --x", `c --y`.\nint f();\n'
                         '/// a line in Doxygen form: crewctl --listen <b>bold</b>.\nint g();\n')
        self.assertEqual(out.splitlines()[1], '/// crewctl \\--listen, "q --x", `c --y`.')
        self.assertEqual(out.splitlines()[3],
                         '/// a line in Doxygen form: crewctl \\--listen <b>bold</b>.')

    def test_the_opening_block_is_the_file_documentation_with_its_brief(self):
        out = run_filter("// crewai/x.hpp — what the file is for.\n//\n// More.\n#pragma once\n")
        self.assertEqual(out.splitlines()[:3],
                         ["/// @file crewai/x.hpp What the file is for.", "/// ", "/// More."])

    def test_every_public_header_keeps_its_line_numbers(self):
        headers = glob.glob(os.path.join(SOURCE, "include", "crewai", "*.hpp"))
        self.assertTrue(headers)
        for path in headers:
            with open(path, encoding="utf-8") as f:
                lines = f.read().count("\n")
            out = subprocess.run([os.path.join(SOURCE, "scripts", "doxygen-filter"), path],
                                 check=True, capture_output=True, text=True).stdout
            self.assertEqual(out.count("\n"), lines, path)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--source", required=True)
    args, rest = ap.parse_known_args()
    SOURCE = os.path.abspath(args.source)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
