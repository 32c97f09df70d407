module libsegment.example/segment

go 1.19
