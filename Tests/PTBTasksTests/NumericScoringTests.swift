import Foundation
import Testing
@testable import PTBTasks

/// Expected verdicts come from running the original's `match_str` (the pinned inspect_ai fork:
/// `isnumeric` gate, `[$,£,€,*,_]` stripping, suffix rule) on the same strings.
@Suite struct NumericScoringTests {
    static func sample(_ target: String) -> Sample { Sample(id: "1", messages: [], target: target) }

    @Test(arguments: [
        // (completion, target, answer the original reports, correct)
        ("The answer is 7.", "7", "7", true),
        ("The total is 170", "70", "170", true),          // suffix rule
        ("answer:18", "18", "answer:18", true),           // no space: the word ends with the target
        ("It costs $1,234.", "1234", "1234", true),       // $ and , stripped, final . dropped
        ("x = 18.0", "18", "18", true),                   // .5g normalisation
        ("ANSWER: **42**", "42", "42", true),             // markdown bold stripped
        ("ANSWER: 42!", "42", "42!", false),              // other punctuation is not
        ("so (42)", "42", "(42)", false),
        ("ANSWER: 100000", "100000", "1e+05", true),
        ("ANSWER: 123456", "123457", "1.2346e+05", true), // five significant digits on both sides
        ("ANSWER: 0.5", "5", "0.5", true),                // suffix rule again
        ("ANSWER: 18 $", "18", "18", true),
        ("", "5", "", false),
        ("answer 42\n\n", "42", "42", true),
        ("ANSWER: 42 apples", "42", "42", true),          // the last *number-like* word
        ("ANSWER: €42", "42", "42", true),
        ("Total: 42.", "42", "42", true),
    ])
    func numericTargets(_ completion: String, _ target: String, _ answer: String, _ correct: Bool) {
        let s = GSM8KTask().score(Self.sample(target), completion: completion)
        #expect(s.correct == correct)
        #expect(s.answer == answer)
        #expect(s.value == (correct ? 1 : 0))
    }

    /// Targets that fail Python's `isnumeric` (signs, decimals, commas) take inspect's text path:
    /// strip punctuation at both ends, casefold, `endswith`.
    @Test(arguments: [
        ("The answer is -3.", "-3", true),
        ("The answer is 3.", "-3", true),                 // the sign is punctuation there
        ("ANSWER: 3.50", "3.5", false),
        ("3.14159265", "3.1416", false),
        ("ANSWER: 1,000", "1,000", true),
        ("ANSWER: 10", "1,000", false),
    ])
    func nonNumericTargets(_ completion: String, _ target: String, _ correct: Bool) {
        let s = GSM8KTask().score(Self.sample(target), completion: completion)
        #expect(s.correct == correct)
        #expect(s.answer == completion.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func strictModeDropsTheSuffixRule() {
        let strict = GSM8KTask(matchMode: .strict)
        #expect(!strict.score(Self.sample("70"), completion: "The total is 170").correct)
        #expect(strict.score(Self.sample("70"), completion: "The total is 70").correct)
        #expect(strict.score(Self.sample("18"), completion: "x = 18.0").correct)
        #expect(!strict.score(Self.sample("5"), completion: "ANSWER: 0.5").correct)
        // Signed targets compare numerically in strict mode.
        #expect(strict.score(Self.sample("-3"), completion: "The answer is -3.").correct)
        #expect(!strict.score(Self.sample("-3"), completion: "The answer is 3.").correct)
        // The mode is a parameter of the shared scorer too (what `ptb score --strict-match` uses).
        #expect(!ArithTask().score(Self.sample("70"), completion: "170", mode: .strict).correct)
        #expect(ArithTask().score(Self.sample("70"), completion: "170", mode: .original).correct)
    }

    @Test(arguments: [
        ("so \\boxed{70}", "70", true),
        ("\\boxed{\\frac{1}{2}} and 5", "5", true),
        ("ANSWER: \\boxed{204}", "204", true),
        ("The answer is \\boxed{033}", "33", true),       // 033 → 33 by the .5g normalisation
        ("\\boxed{12}\n\\boxed{34}", "34", true),         // one substitution per line
        ("\\boxed{12} \\boxed{34}", "34", true),          // greedy: "12} \\boxed{34" → the word "\\boxed{34"
        ("\\boxed{}", "5", false),
        ("\\boxed{1{2}3}", "123", false),
        ("\\boxed{170}", "70", true),                     // the suffix rule survives unboxing
    ])
    func aimeUnboxesThenMatches(_ completion: String, _ target: String, _ correct: Bool) {
        #expect(AIME2025Task().score(Self.sample(target), completion: completion).correct == correct)
    }

    @Test func aimeBoxedSubstitutionIsPythons() {
        let t = AIME2025Task()
        #expect(t.answerText("so \\boxed{70}") == "so 70")
        #expect(t.answerText("\\boxed{12} \\boxed{34}") == "12} \\boxed{34")
        #expect(t.answerText("\\boxed{12}\n\\boxed{34}") == "12\n34")
        #expect(t.answerText("\\boxed{$5}") == "$5")      // captured text is not a template
        #expect(t.answerText("\\boxed{}") == "\\boxed{}")
    }
}
