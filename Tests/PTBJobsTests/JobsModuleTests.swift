import PTBJobs
import Testing

@Suite struct JobsModuleTests {
    @Test func placeholderUntilRealTestsLand() {
        #expect(String(describing: PTBJobsModule.self) == "PTBJobsModule")
    }
}
