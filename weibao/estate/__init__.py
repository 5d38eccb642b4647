"""The hospitals' estate: installed systems and versions, the release catalogue, change
requests under blackout windows, and remote access under the hospital's control."""
