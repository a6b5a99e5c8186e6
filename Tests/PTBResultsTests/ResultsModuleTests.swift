import PTBResults
import Testing

@Suite struct ResultsModuleTests {
    @Test func placeholderUntilRealTestsLand() {
        #expect(String(describing: PTBResultsModule.self) == "PTBResultsModule")
    }
}
