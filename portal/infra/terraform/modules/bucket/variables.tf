variable "name" {
  type        = string
  description = "The resource's name; unique in the account."
}

variable "environment" {
  type        = string
  description = "The portal environment (dev, staging, prod, ...)."
}

variable "connection_secret_path" {
  type        = string
  description = "Secret store path the module writes the connection details to."
}

variable "size" {
  type        = string
  description = "Size class: CPU, memory and storage tier."
}

variable "versioning" {
  type        = bool
  description = "Keep earlier versions of every object."
}

variable "backup" {
  type        = bool
  description = "Replicate objects to a second region."
}

variable "retention_days" {
  type        = number
  description = "Days old object versions are kept."
}

variable "tags" {
  type        = map(string)
  description = "Labels for cost allocation and ownership (the five standard keys)."
}
