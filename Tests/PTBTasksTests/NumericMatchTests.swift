import PTBTasks
import PTBCore
import Testing

@Suite struct NumericMatchTests {
    @Test(arguments: [
        ("The answer is 7.", "7", true),
        ("7", "7", true),
        ("so 3 + 4 = 7", "7", true),
        ("The answer is 8.", "7", false),
        // The original's suffix rule: 170 "matches" 70.
        ("The total is 170", "70", true),
        ("answer:18", "18", true),
        ("It costs $1,234.", "1234", true),
        ("x = 18.0", "18", true),
        ("nothing numeric here", "5", false),
        ("-5", "5", true), // last word "-5" is not numeric → the word itself, which ends with "5"
    ])
    func original(_ completion: String, _ target: String, _ expected: Bool) {
        #expect(NumericMatch.match(completion: completion, target: target).correct == expected)
    }

    @Test func strictModeComparesExactly() {
        #expect(!NumericMatch.match(completion: "The total is 170", target: "70", mode: .strict).correct)
        #expect(NumericMatch.match(completion: "x = 18.0", target: "18", mode: .strict).correct)
    }

    @Test func normalisationUsesFiveSignificantDigits() {
        #expect(NumericMatch.match(completion: "123456", target: "123456").answer == "1.2346e+05")
    }

    @Test func arithTestSplitIsFixedAndDisjointFromTrainNames() {
        let a = ArithTask.testSplit(seed: 2025)
        let b = ArithTask.testSplit(seed: 2025)
        #expect(a == b)
        #expect(a.count == 200)
        #expect(Set(a.map { $0.messages[0].content }).count == 200)
        for s in a {
            #expect(["Emma", "Sofia", "Lena", "Aisha", "Lucas", "Ethan", "Yusuf", "Mateo"].allSatisfy { !s.messages[0].content.contains($0) })
        }
        #expect(a[0].id == "1")
        let t = ArithTask()
        #expect(t.score(a[0], completion: "The answer is \(a[0].target).").correct)
    }
}
