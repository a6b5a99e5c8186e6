import Foundation

/// Results, aggregation and the leaderboard; one file per concept.
public enum PTBResultsModule {}
